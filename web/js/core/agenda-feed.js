// The public /agenda Socket.IO channel: lifecycle states and programme changes,
// pushed by the server the moment they happen. One connection per tab, opened
// by the first page that listens, and only then is the client library loaded.
import { createStore } from './store.js';

// Event names as the server spells them (server/names.py).
export const EV_AGENDA_CHANGED = 'agenda:changed';
export const EV_SESSION_STATE = 'session:state';
export const EV_SESSION_REMINDER = 'session:reminder';

export const feedStore = createStore({ connected: false });
const listeners = new Set();
let socket = null;

async function connect() {
  const { io } = await import('../../vendor/socket.io.esm.min.js');
  socket = io('/agenda', { transports: ['websocket'], reconnectionDelayMax: 15000 });
  socket.on('connect', () => feedStore.set({ connected: true }));
  socket.on('disconnect', () => feedStore.set({ connected: false }));
  for (const name of [EV_AGENDA_CHANGED, EV_SESSION_STATE, EV_SESSION_REMINDER]) {
    socket.on(name, (data) => {
      for (const listener of [...listeners]) listener(name, data);
    });
  }
}

// After logging in or out: connect again, so the server knows whose tab this is
// (the cookie rides on the websocket handshake) and personal reminders arrive.
export function reconnectAgenda() {
  if (!socket) return;
  socket.disconnect();
  socket.connect();
}

// listen((event, data) => ...) returns the function that stops listening.
export function listenAgenda(listener) {
  listeners.add(listener);
  if (!socket) connect().catch((err) => console.warn('agenda channel unavailable', err));
  return () => listeners.delete(listener);
}

// The sessions an agenda:changed push is about. One change names its session_id
// (with the session, unless deleted); a large batch, such as an import, comes as
// one {kind: 'bulk', event_id, session_ids} without bodies: refetch what you show.
export function changedIds(data) {
  if (!data) return [];
  if (data.kind === 'bulk') return Array.isArray(data.session_ids) ? data.session_ids : [];
  return data.session_id == null ? [] : [data.session_id];
}

export function isBulk(data) {
  return data?.kind === 'bulk';
}

// Apply a session:state push to a session object (returns a new one, or the same if unrelated).
export function applyState(session, data) {
  if (!session || session.id !== data.session_id) return session;
  return {
    ...session,
    state: data.to ?? session.state,
    start_utc: data.start_utc ?? session.start_utc,
    end_utc: data.end_utc ?? session.end_utc,
  };
}
