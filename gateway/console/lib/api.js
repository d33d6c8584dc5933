// The console's only way to the domain: the public HTTP API with the signed-in user's token.
const KEY = 'opdomain-token';

export const session = {
  get token() {
    return sessionStorage.getItem(KEY) || '';
  },
  set token(v) {
    if (v) sessionStorage.setItem(KEY, v);
    else sessionStorage.removeItem(KEY);
  },
  me: null,
};

export class ApiError extends Error {
  constructor(code, message, status) {
    super(`${code}: ${message}`);
    this.code = code;
    this.status = status;
  }
}

export async function api(method, path, body) {
  const headers = { authorization: `Bearer ${session.token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body !== undefined ? JSON.stringify(body) : undefined });
  const type = res.headers.get('content-type') || '';
  const data = type.includes('json') ? await res.json() : await res.text();
  if (!res.ok) {
    const e = data?.error ? data.error : { code: `HTTP_${res.status}`, message: String(data).slice(0, 200) };
    throw new ApiError(e.code, e.message, res.status);
  }
  return data;
}

/** A file as the request body, streamed by the browser (CSV as text/csv, anything else as Parquet). */
export async function upload(path, file) {
  const csv = /\.csv$/i.test(file.name);
  const res = await fetch(`${path}?format=${csv ? 'csv' : 'parquet'}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${session.token}`, 'content-type': csv ? 'text/csv' : 'application/octet-stream' },
    body: file,
  });
  const data = await res.json();
  if (!res.ok) throw new ApiError(data.error?.code ?? `HTTP_${res.status}`, data.error?.message ?? '', res.status);
  return data;
}

export const enc = encodeURIComponent;

/** Saves a JSON answer as a file the browser downloads (the bearer token cannot ride on a plain link). */
export async function downloadJson(path, filename) {
  const data = await api('GET', path);
  const url = URL.createObjectURL(new Blob([JSON.stringify(data)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
