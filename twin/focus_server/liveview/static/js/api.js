// The REST API the page talks to: the Focus Server's own, with the cookie session.
// State-changing requests carry the session's CSRF token; a 401 anywhere means the
// session ended, which main.js turns into the login view with a message.

const API = "/focus-server";
const SESSION = "/liveView/session";
let csrfToken = null;
let onSessionEnd = () => {};
// Which login a request was sent under: a late 401 from a session that has already ended
// (a poll still in flight when the user logged in again) must not end the new one.
let sessionNumber = 0;

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || null;
    this.field = error.field || null;
    this.retryAfter = null;
  }
}

export function whenSessionEnds(callback) {
  onSessionEnd = callback;
}

async function send(url, { method = "GET", body, session = true } = {}) {
  const sentUnder = sessionNumber;
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
    cache: "no-store",
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    error.retryAfter = response.headers.get("Retry-After");
    if (response.status === 401 && session && sentUnder === sessionNumber) {
      csrfToken = null;
      onSessionEnd(error);
    }
    throw error;
  }
  return data;
}

export async function currentSession() {
  const session = await send(SESSION, { session: false });
  csrfToken = session.csrf_token;
  return session;
}

export async function logIn(username, password, expiresIn) {
  const body = { username, password };
  if (expiresIn) body.expires_in = Number(expiresIn);
  const session = await send(SESSION, { method: "POST", body, session: false });
  sessionNumber += 1;
  csrfToken = session.csrf_token;
  return session;
}

export async function logOut() {
  try {
    await send(SESSION, { method: "DELETE", session: false });
  } finally {
    csrfToken = null;
  }
}

export const api = {
  configure: (body) => send(`${API}/configure`, { method: "POST", body }),
  ack: (id) => send(`${API}/ack/${encodeURIComponent(id)}`),
  metadata: (id) => send(`${API}/metadata/${encodeURIComponent(id)}`),
  waterfall: (id, rows) => send(`${API}/waterfall/${encodeURIComponent(id)}?rows=${rows}`),
  stop: (id) => send(`${API}/task/${encodeURIComponent(id)}`, { method: "DELETE" }),
  tasks: () => send(`${API}/tasks`),
  alerts: (filters) => {
    const query = new URLSearchParams({ limit: "500" });
    for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
    return send(`${API}/alerts?${query}`);
  },
  acknowledge: (id) => send(`${API}/alerts/${encodeURIComponent(id)}/ack`, { method: "POST" }),
};
