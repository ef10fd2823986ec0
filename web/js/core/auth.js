// Who is signed in. The session lives in an httpOnly cookie the server sets,
// so the client learns who it is from GET /me and never holds the secret.
import { ApiError, api } from './api.js';
import { createStore } from './store.js';

export const authStore = createStore({ ready: false, user: null, starred: new Set() });

export const currentUser = () => authStore.get().user;
export const isOrganiser = (user = currentUser()) => user?.role === 'organiser';

async function loadStarred() {
  try {
    const items = await api('/me/schedule');
    authStore.set({ starred: new Set(items.filter((i) => i.starred).map((i) => i.session.id)) });
  } catch {
    authStore.set({ starred: new Set() });
  }
}

export async function loadMe() {
  try {
    const user = await api('/me');
    authStore.set({ user, ready: true });
    await loadStarred();
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) console.warn('could not load the account', err);
    authStore.set({ user: null, ready: true, starred: new Set() });
  }
}

export async function login(email, password) {
  const out = await api('/auth/login', { method: 'POST', body: { email, password } });
  authStore.set({ user: out.user });
  await loadStarred();
  return out.user;
}

export async function register(fields) {
  const out = await api('/auth/register', { method: 'POST', body: fields });
  authStore.set({ user: out.user, starred: new Set() });
  return out.user;
}

export async function logout() {
  try {
    await api('/auth/logout', { method: 'POST' });
  } finally {
    authStore.set({ user: null, starred: new Set() });
  }
}

export function updateUser(user) {
  authStore.set({ user });
}

export async function setStar(sessionId, on) {
  const starred = new Set(authStore.get().starred);
  on ? starred.add(sessionId) : starred.delete(sessionId);
  authStore.set({ starred }); // at once; put back if the server says no
  try {
    await api(`/sessions/${sessionId}/star`, { method: on ? 'POST' : 'DELETE' });
  } catch (err) {
    const undo = new Set(authStore.get().starred);
    on ? undo.delete(sessionId) : undo.add(sessionId);
    authStore.set({ starred: undo });
    throw err;
  }
}
