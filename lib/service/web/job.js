// The job page: status, a bar per phase, download links, facts, and the live log tail.
import { ago, api, bytes, duration, el, header, statusBadge, toast, withToken } from './common.js';

const id = location.pathname.split('/').pop();
const finished = (status) => ['DONE', 'ERROR', 'CANCELLED'].includes(status);
const MAX_LOG_CHARS = 400_000;

function fact(label, value) {
  return value === undefined || value === '' || value === null ? [] : [el('dt', {}, label), el('dd', {}, value)];
}

function renderPhases(job) {
  const failedAt = job.status === 'ERROR' ? job.progress.find((p) => p.state === 'running') : undefined;
  document.getElementById('phases').replaceChildren(
    ...job.progress.map((p) => {
      const state = p === failedAt ? 'failed' : p.state;
      const time = p.durationMs !== undefined ? `${(p.durationMs / 1000).toFixed(1)} s` : p.state === 'cached' ? 'cached' : '';
      return el('div', { class: `phase ${state}`, 'data-phase': p.name, title: `${p.name}: ${state}` },
        el('div', { class: 'bar' }), el('div', { class: 'label' }, p.name), el('div', { class: 'time' }, time || '\u00a0'));
    }),
  );
  document.getElementById('phase').textContent = job.status === 'BUILDING' && job.phase ? `— now: ${job.phase}` : '';
}

function renderFiles(job) {
  const list = document.getElementById('files');
  if (!job.files.length) {
    list.replaceChildren(el('li', { class: 'hint' }, job.status === 'DONE' ? 'no files' : finished(job.status) ? 'nothing was published' : 'when the build is done'));
    return;
  }
  list.replaceChildren(
    ...job.files.map((f) => el('li', {}, el('span', { class: 'kind' }, f.kind), el('a', { href: withToken(f.url), download: f.name, 'data-kind': f.kind }, f.name), el('span', { class: 'size' }, bytes(f.bytes)))),
  );
}

// What the image holds, from the build's manifest (NAME.manifest.json, published beside the
// image with the SBOMs): the OS, the inputs and a filterable package list. Loaded once.
let contentsLoaded = false;

function packageRows(packages, filter) {
  const wanted = filter.trim().toLowerCase();
  return packages.filter((p) => !wanted || p.name.toLowerCase().includes(wanted) || (p.installedBy ?? '').toLowerCase().includes(wanted))
    .map((p) => el('tr', { 'data-package': p.name }, el('td', {}, p.name), el('td', {}, p.version), el('td', {}, p.architecture),
      el('td', {}, p.license ?? ''), el('td', {}, p.installedBy ?? (p.automatic ? 'dependency' : ''))));
}

async function renderContents(job) {
  const manifestFile = job.files.find((f) => f.kind === 'manifest');
  if (contentsLoaded || job.status !== 'DONE' || !manifestFile) return;
  contentsLoaded = true;
  let manifest;
  try {
    const response = await fetch(withToken(manifestFile.url));
    if (!response.ok) throw new Error(`the manifest could not be read (${response.status})`);
    manifest = await response.json();
  } catch (error) {
    contentsLoaded = false; // the next update of the job tries again
    throw error;
  }
  const sboms = job.files.filter((f) => f.kind === 'sbom');
  const link = (f, label) => el('a', { href: withToken(f.url), download: f.name }, label);
  document.getElementById('contents-summary').textContent = `— ${manifest.packages.length} packages`;
  document.getElementById('contents-facts').replaceChildren(
    ...fact('os', manifest.image.os ?? ''),
    ...fact('flavours', manifest.inputs.flavours.map((f) => f.name).join(' ')),
    ...fact('source date', `${new Date(manifest.inputs.sourceDateEpoch * 1000).toISOString().replace('T', ' ').replace('.000Z', ' UTC')} (SOURCE_DATE_EPOCH=${manifest.inputs.sourceDateEpoch}, ${manifest.inputs.sourceDateEpochFrom})`),
    ...fact('kiln', manifest.kiln.version),
    ...fact('manifest', link(manifestFile, manifestFile.name)),
    ...fact('SBOM', sboms.length ? el('span', {}, ...sboms.flatMap((f, i) => [i ? ' · ' : '', link(f, f.name.endsWith('.spdx.json') ? 'SPDX 2.3' : 'CycloneDX')])) : ''),
  );
  const body = document.querySelector('#packages tbody');
  const filter = document.getElementById('package-filter');
  const show = () => body.replaceChildren(...packageRows(manifest.packages, filter.value));
  filter.addEventListener('input', show);
  show();
  document.getElementById('packages').hidden = !manifest.packages.length;
  filter.hidden = !manifest.packages.length;
  document.getElementById('contents-card').hidden = false;
}

function render(job) {
  document.title = `${job.name} · kiln build service`;
  document.getElementById('name').textContent = job.name;
  document.getElementById('status').replaceChildren(statusBadge(job.status));
  renderPhases(job);
  renderFiles(job);
  renderContents(job).catch((error) => toast(error.message));
  document.getElementById('error').replaceChildren(...(job.error ? [el('div', { class: 'error-box', id: 'error-text' }, job.error)] : []));
  document.getElementById('facts').replaceChildren(
    ...fact('id', el('code', {}, job.id)),
    ...fact('flavours', job.flavours.join(' ')),
    ...fact('outputs', job.types.join(', ')),
    ...fact('architecture', job.arch),
    ...fact('release', job.release),
    ...fact('packages', job.packages.join(', ')),
    ...fact('submitted by', `${job.user || '(AMQP message)'}${job.email && job.email !== job.user ? ` <${job.email}>` : ''}`),
    ...fact('created', `${new Date(job.createdAt).toLocaleString()} (${ago(job.createdAt)})`),
    ...fact('took', duration(job)),
    ...fact('worker', job.worker),
    ...fact('attempts', job.attempts > 1 ? String(job.attempts) : ''),
  );
  document.getElementById('notes').replaceChildren(...job.notes.map((n) => el('li', {}, n)));
  document.getElementById('cancel').hidden = finished(job.status);
  document.getElementById('log-link').href = withToken(job.logUrl);
}

function appendLog(text) {
  const log = document.getElementById('log');
  log.textContent += text;
  if (log.textContent.length > MAX_LOG_CHARS) log.textContent = `… (earlier lines: see the whole log)\n${log.textContent.slice(-MAX_LOG_CHARS)}`;
  if (document.getElementById('follow').checked) log.scrollTop = log.scrollHeight;
}

async function act(method, path, done) {
  try {
    await api(method, path);
    toast(done);
  } catch (error) {
    toast(error.message);
  }
}

async function main() {
  header();
  render(await api('GET', `/api/jobs/${id}`));
  document.getElementById('cancel').addEventListener('click', () => act('POST', `/api/jobs/${id}/cancel`, 'cancel requested'));
  document.getElementById('delete').addEventListener('click', async () => {
    if (!confirm('Delete this job, its images and its log?')) return;
    await act('DELETE', `/api/jobs/${id}`, 'deleted');
    location.href = '/';
  });
  const events = new EventSource(withToken(`/api/jobs/${id}/events`));
  events.addEventListener('job', (event) => render(JSON.parse(event.data)));
  events.addEventListener('log', (event) => appendLog(JSON.parse(event.data).text));
  events.addEventListener('deleted', () => {
    events.close();
    location.href = '/';
  });
}

main().catch((error) => {
  document.getElementById('name').textContent = error.message;
});
