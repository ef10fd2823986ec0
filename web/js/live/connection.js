// One live room over Socket.IO (/live, docs/protocol.md): the join token in the
// auth payload, the welcome (chat history, or what was missed since last_seq),
// every push folded into one store, and requests answered by acks.
import { api } from '../core/api.js';
import { createStore } from '../core/store.js';

const HISTORY_CAP = 500;
const CAPTION_CAP = 30;
const REFRESHABLE = new Set(['expired', 'invalid_token', 'revoked', 'not_yet_valid']);
export const JOIN_KEY = (id) => `forumlive.join.${id}`;

export class LiveError extends Error {
  constructor(code, message, details) {
    super(message);
    this.code = code;
    this.details = details ?? null;
  }
}

// A join token: the one the session page just got, else a fresh one.
export async function joinToken(sessionId, { fresh = false, role } = {}) {
  if (!fresh) {
    try {
      const kept = JSON.parse(sessionStorage.getItem(JOIN_KEY(sessionId)) || 'null');
      if (kept && Date.parse(kept.expires_at) - Date.now() > 60_000 && (!role || kept.role === role)) return kept;
    } catch {
      /* a damaged entry: ask again */
    }
  }
  const grant = await api(`/sessions/${sessionId}/join`, { method: 'POST', query: role ? { role } : undefined });
  sessionStorage.setItem(JOIN_KEY(sessionId), JSON.stringify(grant));
  return grant;
}

const byId = (list, item, key = 'id') => {
  const i = list.findIndex((x) => x[key] === item[key]);
  if (i < 0) return [...list, item];
  if (item.v !== undefined && list[i].v !== undefined && item.v < list[i].v) return list; // an older copy
  const next = list.slice();
  next[i] = item;
  return next;
};

export function createLive(sessionId, grant) {
  const store = createStore({
    status: 'connecting',
    error: null,
    grant,
    you: null,
    settings: { slow_mode_seconds: 0, locked: false, pinned: null },
    presence: 0,
    limits: { chat_max_chars: 2000 },
    messages: [],
    lastSeq: null,
    recovered: null,
    mutedUntil: null,
    questions: [],
    voted: new Set(),
    polls: [],
    myVotes: {},
    hands: [],
    handRaised: false,
    granted: null,
    captions: [],
    reactions: { counts: {}, at: 0 },
    roster: [],
    audit: [],
    health: {},
    state: null,
  });
  let socket = null;
  let refreshed = false;
  let closed = false;
  let handPushes = 0; // hand:queue pushes seen: a list asked for before one is older than it
  const handlers = {
    'room:welcome': (w) => {
      const s = store.get();
      const chat = w.chat || {};
      let messages;
      if (chat.recovered) {
        const gone = new Set(chat.deleted || []);
        const seen = new Set(s.messages.map((m) => m.seq));
        messages = [...s.messages.filter((m) => !gone.has(m.seq)), ...(chat.messages || []).filter((m) => !seen.has(m.seq))];
      } else {
        messages = chat.messages || [];
      }
      store.set({
        status: 'open',
        error: null,
        you: w.you,
        settings: w.settings || s.settings,
        presence: w.presence?.count ?? s.presence,
        limits: w.limits || s.limits,
        mutedUntil: w.muted_until,
        messages: messages.slice(-HISTORY_CAP),
        lastSeq: chat.last_seq ?? (messages.length ? messages[messages.length - 1].seq : s.lastSeq),
        recovered: chat.resumed ? Boolean(chat.recovered) : null,
      });
      refreshed = false;
      afterWelcome(w.you);
    },
    'room:settings': (settings) => store.set({ settings }),
    'room:kicked': (data) => {
      store.set({ status: 'kicked', error: data });
      closed = true;
    },
    'chat:message': (m) => {
      const s = store.get();
      if (s.messages.some((x) => x.seq === m.seq)) return;
      // In a cluster two nodes may deliver out of order: place by seq, never by arrival.
      const messages = [...s.messages, m].sort((a, b) => a.seq - b.seq).slice(-HISTORY_CAP);
      store.set({ messages, lastSeq: Math.max(s.lastSeq ?? 0, m.seq) });
    },
    'chat:deleted': ({ seq }) => {
      const s = store.get();
      store.set({
        messages: s.messages.filter((m) => m.seq !== seq),
        settings: s.settings.pinned && s.settings.pinned.seq === seq ? { ...s.settings, pinned: null } : s.settings,
      });
    },
    'chat:muted': ({ until }) => store.set({ mutedUntil: until }),
    'chat:unmuted': () => store.set({ mutedUntil: null }),
    'qa:question': ({ question }) => store.set((s) => ({ questions: byId(s.questions, question) })),
    'poll:updated': ({ poll }) => store.set((s) => ({ polls: byId(s.polls, poll) })),
    // Tallies only grow: an older one that arrives late is dropped.
    'poll:tally': ({ poll_id: pollId, counts, total }) =>
      store.set((s) => ({
        polls: s.polls.map((p) =>
          p.id === pollId && total >= p.total
            ? { ...p, total, options: p.options.map((o) => ({ ...o, votes: counts[String(o.id)] ?? o.votes })) }
            : p,
        ),
      })),
    'hand:queue': ({ hands }) => {
      handPushes += 1;
      store.set({ hands });
    },
    'hand:granted': (data) => {
      const kept = { ...store.get().grant, token: data.token, role: data.role };
      sessionStorage.setItem(JOIN_KEY(sessionId), JSON.stringify(kept));
      store.set({ granted: data, handRaised: false, grant: kept });
    },
    'hand:dismissed': () => store.set({ handRaised: false }),
    'reaction:burst': ({ counts }) => store.set({ reactions: { counts, at: Date.now() } }),
    'caption:line': (line) => store.set((s) => ({ captions: [...s.captions.filter((c) => c.id !== line.id), line].slice(-CAPTION_CAP) })),
    'presence:count': ({ count }) => store.set({ presence: count }),
    'presence:roster': ({ people }) => store.set({ roster: people || [] }),
    'mod:action': (entry) => store.set((s) => ({ audit: [entry, ...s.audit].slice(0, 200) })),
    'session:state': (data) => data.session_id === sessionId && store.set({ state: data }),
    'stream:health': (data) => store.set((s) => ({ health: { ...s.health, [data.channel]: data.status } })),
    // The coalesced form (busy rooms, docs/protocol.md): [[event, data], ...] in send order.
    batch: (items) => {
      for (const [name, data] of Array.isArray(items) ? items : []) handlers[name]?.(data);
    },
  };

  async function request(event, payload = {}) {
    if (!socket || !socket.connected) throw new LiveError('not_connected', 'not connected');
    let ack;
    try {
      ack = await socket.timeout(10_000).emitWithAck(event, payload);
    } catch {
      throw new LiveError('timeout', 'no answer from the server');
    }
    if (!ack || ack.ok !== true) {
      const { code, message, ...extra } = ack?.error || {};
      const details = {};
      if (extra.retry_after_ms) details.seconds = Math.ceil(extra.retry_after_ms / 1000);
      if (extra.max_chars) details.max_chars = extra.max_chars;
      throw new LiveError(code || 'error', message || 'refused', details);
    }
    return ack;
  }

  async function afterWelcome(you) {
    const moderator = ['moderator'].includes(you?.role);
    const [qa, polls] = await Promise.allSettled([request('qa:list', { include_dismissed: moderator }), request('poll:list', {})]);
    // A list may be older than a push that overtook it: merge, keeping the highest v.
    if (qa.status === 'fulfilled') {
      store.set((s) => ({
        questions: (qa.value.questions || []).reduce((list, q) => byId(list, q), s.questions),
        voted: new Set([...s.voted, ...(qa.value.voted || [])]),
      }));
    }
    if (polls.status === 'fulfilled') {
      store.set((s) => ({
        polls: (polls.value.polls || []).reduce((list, p) => byId(list, p), s.polls),
        myVotes: { ...(polls.value.my_votes || {}), ...s.myVotes },
      }));
    }
    if (moderator) {
      const pushesBefore = handPushes;
      const [hands, roster] = await Promise.allSettled([request('hand:list', {}), request('presence:roster', {})]);
      // The list may have been read before a hand went up whose push came first: every
      // push carries the whole queue, so after one the list has nothing newer to say.
      if (hands.status === 'fulfilled' && handPushes === pushesBefore) store.set({ hands: hands.value.hands || [] });
      if (roster.status === 'fulfilled') store.set({ roster: roster.value.people || [] });
    }
  }

  async function open() {
    const { io } = await import('../../vendor/socket.io.esm.min.js');
    if (closed) return;
    socket = io('/live', {
      transports: ['websocket'],
      // Asked again at every (re)connect: the newest token and the last message seen.
      auth: (send) => {
        const s = store.get();
        const payload = { token: s.grant.token, session_id: sessionId };
        if (s.lastSeq !== null && s.lastSeq !== undefined) payload.last_seq = s.lastSeq;
        send(payload);
      },
      reconnectionDelayMax: 10_000,
    });
    for (const [name, handler] of Object.entries(handlers)) socket.on(name, handler);
    socket.on('disconnect', (reason) => {
      if (closed) return;
      store.set({ status: reason === 'io server disconnect' ? 'closed' : 'reconnecting' });
    });
    socket.io.on('reconnect_attempt', () => store.set({ status: 'reconnecting' }));
    socket.on('connect_error', async (err) => {
      const reason = err?.data || { code: 'unavailable', message: err?.message };
      if (socket.active) {
        store.set({ status: 'reconnecting' });
        return; // a network problem: the client retries by itself
      }
      // Refused by the server: once, with a fresh token, then tell the person why.
      if (REFRESHABLE.has(reason.code) && !refreshed) {
        refreshed = true;
        try {
          const fresh = await joinToken(sessionId, { fresh: true });
          store.set({ grant: fresh });
          socket.connect();
          return;
        } catch (joinErr) {
          store.set({ status: 'refused', error: { code: joinErr.code || reason.code, message: joinErr.message } });
          return;
        }
      }
      store.set({ status: 'refused', error: reason });
    });
  }

  open().catch((err) => store.set({ status: 'refused', error: { code: 'unavailable', message: String(err) } }));

  return {
    store,
    request,
    close() {
      closed = true;
      socket?.disconnect();
    },
    // For the browser tests and the console: leave and come back, as after a
    // network cut; the reconnect sends last_seq and gets exactly what was missed.
    goOffline() {
      socket?.disconnect();
      store.set({ status: 'reconnecting' });
    },
    goOnline() {
      socket?.connect();
    },
  };
}
