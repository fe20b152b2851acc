// Shared by the queue page and the job page: the API token (kept in this browser), API calls,
// formatting, and the header's live counts.

const TOKEN_KEY = 'kiln-token';

export function token() {
  return localStorage.getItem(TOKEN_KEY) || '';
}

function askToken(reason) {
  const value = prompt(`${reason ? `${reason}\n\n` : ''}API token (kept in this browser only):`, token());
  if (value !== null) localStorage.setItem(TOKEN_KEY, value.trim());
  return value !== null;
}

/** Calls the API; asks for a token once when the server wants one. */
export async function api(method, path, body, retried = false) {
  const headers = {};
  if (token()) headers.authorization = `Bearer ${token()}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = response.headers.get('content-type')?.includes('json') ? await response.json() : await response.text();
  if (response.status === 401 && !retried && askToken(data.error)) return api(method, path, body, true);
  if (!response.ok) {
    const error = new Error(data.error || `${response.status} ${response.statusText}`);
    error.field = data.field;
    error.hint = data.hint;
    throw error;
  }
  return data;
}

/** A URL with the token added, for links and event streams (which cannot send headers). */
export function withToken(url) {
  if (!token()) return url;
  return `${url}${url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token())}`;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) if (child !== undefined && child !== null) node.append(child);
  return node;
}

export function statusBadge(status) {
  return el('span', { class: `status ${status}`, 'data-status': status }, status);
}

export function ago(iso) {
  if (!iso) return '';
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return `${Math.round(seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleString();
}

export function duration(job) {
  if (!job.startedAt) return '';
  const end = job.finishedAt ? Date.parse(job.finishedAt) : Date.now();
  const seconds = Math.max(0, (end - Date.parse(job.startedAt)) / 1000);
  return seconds < 90 ? `${seconds.toFixed(0)} s` : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1073741824) return `${(n / 1048576).toFixed(1)} MiB`;
  return `${(n / 1073741824).toFixed(2)} GiB`;
}

export function minibar(progress) {
  return el('span', { class: 'minibar', title: progress.map((p) => `${p.name}: ${p.state}`).join(', ') }, progress.map((p) => el('i', { class: p.state })));
}

export function toast(text) {
  let node = document.querySelector('.toast');
  if (!node) document.body.append((node = el('div', { class: 'toast' })));
  node.textContent = text;
  node.classList.add('show');
  setTimeout(() => node.classList.remove('show'), 2500);
}

/** The header: brand, navigation, live job counts and the token button. */
export async function header() {
  const counts = el('div', { class: 'counts' });
  document.querySelector('header.top').replaceChildren(
    el('a', { class: 'brand', href: '/' }, 'kiln', el('span', {}, '·'), 'build service'),
    el('nav', {}, el('a', { href: '/' }, 'Queue'), el('a', { href: '/api/jobs' }, 'API')),
    counts,
    el('button', { class: 'token', type: 'button', title: 'Set the API token used for submitting, cancelling and deleting', onclick: () => askToken() }, 'Token'),
  );
  const refresh = async () => {
    try {
      const health = await (await fetch('/api/health')).json();
      counts.replaceChildren(...['QUEUED', 'BUILDING', 'DONE', 'ERROR'].map((s) => el('span', {}, el('b', {}, String(health.counts[s])), ` ${s.toLowerCase()}`)));
    } catch {
      counts.textContent = 'server unreachable';
    }
  };
  await refresh();
  setInterval(refresh, 5000);
}
