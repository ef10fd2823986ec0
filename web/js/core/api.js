// The REST API under /api/v1: JSON in, JSON out, errors as ApiError {status, code, message, details}.
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details ?? null;
  }
}

export function apiUrl(path, query) {
  const url = new URL(`/api/v1${path}`, location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === '') continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, item);
  }
  return url;
}

export async function api(path, { method = 'GET', body, query, signal, headers } = {}) {
  const init = {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json', ...(headers || {}) },
    signal,
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(apiUrl(path, query), init);
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', String(err));
  }
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await response.json().catch(() => null) : await response.text();
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(
      response.status,
      error.code || `http_${response.status}`,
      error.message || response.statusText,
      error.details,
    );
  }
  return data;
}

// Field errors of a 422, keyed by body field name: {email: 'value_error', ...}.
export function fieldErrors(err) {
  const out = {};
  if (!(err instanceof ApiError) || !Array.isArray(err.details)) return out;
  for (const item of err.details) {
    const where = item.location || [];
    const field = where[0] === 'body' || where[0] === 'query' ? where[1] : where[0];
    if (field && !(field in out)) out[field] = item.type || 'invalid';
  }
  return out;
}
