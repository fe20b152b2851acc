// The queue page: the submit form, the live queue and the workers.
import { ago, api, duration, el, header, minibar, statusBadge, toast, withToken } from './common.js';

const state = { jobs: new Map(), filter: '', selected: [], types: new Set(['qcow2']) };

function showError(field, message) {
  for (const node of document.querySelectorAll('[data-error]')) {
    const mine = node.dataset.error === field || (field && field.startsWith(`${node.dataset.error}[`)) || (field && field.startsWith(`${node.dataset.error}.`));
    node.textContent = mine ? message : '';
    node.parentElement.classList.toggle('field-error', Boolean(mine));
  }
  if (field && !document.querySelector(`[data-error="${field.split(/[.[]/)[0]}"]`)) document.querySelector('[data-error="form"]').textContent = message;
}

function renderSelected() {
  const box = document.getElementById('selected');
  box.replaceChildren(
    ...(state.selected.length
      ? state.selected.map((name) => el('span', { class: 'chip' }, name, el('button', { type: 'button', title: `remove ${name}`, onclick: () => toggleFlavour(name) }, '×')))
      : [el('span', { class: 'hint' }, 'none yet')]),
  );
  for (const chip of document.querySelectorAll('#flavours .chip')) chip.classList.toggle('on', state.selected.includes(chip.dataset.name));
}

function toggleFlavour(name) {
  state.selected = state.selected.includes(name) ? state.selected.filter((n) => n !== name) : [...state.selected, name];
  renderSelected();
}

async function loadOptions() {
  const [{ flavours }, options] = await Promise.all([api('GET', '/api/flavours'), api('GET', '/api/options')]);
  const list = document.getElementById('flavours');
  list.replaceChildren(
    ...flavours.map((f) =>
      el('span', { class: `chip${f.provides.includes('operating-system') ? ' os' : ''}`, 'data-name': f.name, title: f.summary, role: 'button', onclick: () => toggleFlavour(f.name) }, f.name),
    ),
  );
  document.getElementById('flavour-filter').addEventListener('input', (event) => {
    const text = event.target.value.toLowerCase();
    for (const chip of list.children) chip.hidden = !chip.dataset.name.toLowerCase().includes(text);
  });
  const types = document.getElementById('types');
  types.replaceChildren(
    ...options.types.map((t) =>
      el('span', {
        class: `chip${state.types.has(t.name) ? ' on' : ''}`, 'data-type': t.name, title: t.description, role: 'button',
        onclick: (event) => {
          state.types.has(t.name) ? state.types.delete(t.name) : state.types.add(t.name);
          event.currentTarget.classList.toggle('on', state.types.has(t.name));
        },
      }, t.name),
    ),
  );
  document.getElementById('arch').replaceChildren(...options.arches.map((a) => el('option', { value: a }, a)));
}

async function submit(event) {
  event.preventDefault();
  showError('', '');
  const form = event.target;
  const packages = form.packages.value.split(',').map((p) => p.trim()).filter(Boolean);
  const body = {
    name: form.name.value.trim(),
    flavours: state.selected,
    types: [...state.types],
    arch: form.arch.value,
    ...(form.release.value.trim() ? { release: form.release.value.trim() } : {}),
    ...(form.email.value.trim() ? { email: form.email.value.trim() } : {}),
    ...(packages.length ? { packages } : {}),
    ...(document.getElementById('skip-base').checked ? { skipBase: true } : {}),
  };
  const button = document.getElementById('submit-button');
  button.disabled = true;
  try {
    const job = await api('POST', '/api/jobs', body);
    toast(`queued ${job.name}`);
    location.href = `/jobs/${job.id}`;
  } catch (error) {
    showError(error.field || 'form', `${error.message}${error.hint ? `\n${error.hint}` : ''}`);
  } finally {
    button.disabled = false;
  }
}

function jobRow(job) {
  return el('tr', { 'data-id': job.id },
    el('td', { class: 'name' }, el('a', { href: `/jobs/${job.id}` }, job.name), el('div', { class: 'sub' }, `${job.flavours.join(' ')} → ${job.types.join(', ')}`)),
    el('td', {}, statusBadge(job.status), job.status === 'BUILDING' && job.phase ? el('div', { class: 'sub' }, job.phase) : null),
    el('td', {}, minibar(job.progress)),
    el('td', {}, el('div', {}, job.user || job.email), el('div', { class: 'sub' }, ago(job.createdAt))),
    el('td', {}, duration(job)),
  );
}

function renderJobs() {
  const jobs = [...state.jobs.values()].filter((j) => !state.filter || j.status === state.filter).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  document.getElementById('jobs').replaceChildren(...jobs.map(jobRow));
  document.getElementById('empty').hidden = jobs.length > 0;
}

function renderFilters() {
  const filters = ['', 'QUEUED', 'BUILDING', 'DONE', 'ERROR', 'CANCELLED'];
  document.getElementById('filters').replaceChildren(
    ...filters.map((f) => el('span', { class: `chip${state.filter === f ? ' on' : ''}`, role: 'button', onclick: () => ((state.filter = f), renderFilters(), renderJobs()) }, f ? f.toLowerCase() : 'all')),
  );
}

async function loadWorkers() {
  const { workers } = await api('GET', '/api/workers');
  const list = document.getElementById('workers');
  const shown = workers.filter((w) => w.state !== 'stopped');
  list.replaceChildren(
    ...(shown.length
      ? shown.map((w) => el('li', {}, el('span', { class: `dot ${w.state}` }), el('span', { class: 'mono' }, w.id),
          el('span', { class: 'sub' }, w.job ? el('a', { href: `/jobs/${w.job}` }, 'building') : w.state, el('br'), `seen ${ago(w.lastSeen)}`)))
      : [el('li', { class: 'hint' }, 'no worker connected')]),
  );
}

async function main() {
  header();
  renderFilters();
  document.getElementById('submit').addEventListener('submit', submit);
  await loadOptions().catch((error) => showError('form', error.message));
  const { jobs } = await api('GET', '/api/jobs?limit=200');
  for (const job of jobs) state.jobs.set(job.id, job);
  renderJobs();
  loadWorkers();
  const events = new EventSource(withToken('/api/events'));
  events.addEventListener('job', (event) => {
    const job = JSON.parse(event.data);
    state.jobs.set(job.id, job);
    renderJobs();
  });
  events.addEventListener('deleted', (event) => {
    state.jobs.delete(JSON.parse(event.data).id);
    renderJobs();
  });
  events.addEventListener('workers', () => loadWorkers());
  setInterval(() => (renderJobs(), loadWorkers()), 10_000);
}

main();
