// The API client: every call carries the bearer token kept in sessionStorage (never in a URL,
// never logged). A 401 from any call signs out.

const TOKEN_KEY = 'segmentd.token';

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // nothing kept
  }
}

/** An API answer other than 2xx: {"error": code, "detail": sentence}. */
export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

let unauthorizedHandler = () => {};

/** What to do when a call is answered 401 (the app returns to sign-in). */
export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}

/** A path segment: ids may hold ':' or other characters. */
export const seg = (id) => encodeURIComponent(id);

/**
 * Calls the API. path: '/v1/...'; query: an object (null, undefined and '' left out);
 * body: sent as JSON (a string as is). token: sign-in passes the token being tried; a 401 then
 * does not sign out. Resolves to the parsed JSON (or text); rejects with an ApiError.
 */
export async function api(path, {method = 'GET', query, body, token, signal} = {}) {
  const bearer = token ?? getToken();
  let url = path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== null && v !== undefined && v !== '') params.set(k, String(v));
    }
    const qs = params.toString();
    if (qs) url += `?${qs}`;
  }
  const headers = {Accept: 'application/json'};
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, {method, headers, body: payload, signal, cache: 'no-store', credentials: 'omit'});
  } catch (e) {
    if (e && e.name === 'AbortError') throw new ApiError(0, 'aborted', 'The request was cancelled');
    throw new ApiError(0, 'network', `The node did not answer (${e && e.message ? e.message : e})`);
  }
  const type = response.headers.get('Content-Type') || '';
  let data = null;
  try {
    data = type.includes('json') ? await response.json() : await response.text();
  } catch (e) {
    if (e && e.name === 'AbortError') throw new ApiError(0, 'aborted', 'The request was cancelled');
    data = null;
  }
  if (response.ok) return data;
  const code = data && typeof data === 'object' && data.error ? data.error : `http_${response.status}`;
  const detail = data && typeof data === 'object' && data.detail ? data.detail
    : `${method} ${path} answered ${response.status} ${response.statusText || ''}`.trim();
  const error = new ApiError(response.status, code, detail);
  if (response.status === 401 && token === undefined) unauthorizedHandler(error);
  throw error;
}

export const isAborted = (e) => e instanceof ApiError && e.code === 'aborted';
