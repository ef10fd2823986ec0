// The moderator console: run the session (start early, extend, end), moderate
// the chat (delete, pin, mute, ban, slow mode, lock), the Q&A queue, polls,
// raised hands, the roster, and the stream (key, ingest URLs, health).
import { api } from '../core/api.js';
import { authStore } from '../core/auth.js';
import { errorText, t } from '../core/i18n.js';
import { html, useEffect, useState } from '../core/preact.js';
import { here } from '../core/router.js';
import { useStore } from '../core/store.js';
import { fmtDateTime, fmtTime, viewerZone } from '../core/time.js';
import { CopyField, Loading, Notice, Page, useAsync, useId } from '../core/ui.js';
import { Chat } from './chat.js';
import { Tally } from './polls.js';
import { QuestionItem, sortQuestions } from './qa.js';
import { ConnectionStatus, JoinRefused, useLiveRoom } from './room.js';

function useAction() {
  const [state, setState] = useState({ busy: false, error: null, note: null });
  const run = async (work, note) => {
    setState({ busy: true, error: null, note: null });
    try {
      const out = await work();
      setState({ busy: false, error: null, note: note || null });
      return out;
    } catch (error) {
      setState({ busy: false, error, note: null });
      return undefined;
    }
  };
  return [state, run];
}

function Feedback({ state }) {
  if (state.error) return html`<${Notice} kind="error">${errorText(state.error)}<//>`;
  if (state.note) return html`<${Notice} kind="success">${state.note}<//>`;
  return null;
}

function Lifecycle({ session, onChange }) {
  const [state, run] = useAction();
  const [minutes, setMinutes] = useState('15');
  const id = useId('lc');
  const call = (path, body, note) =>
    run(async () => {
      const out = await api(`/sessions/${session.id}/${path}`, { method: 'POST', body });
      onChange(out.session);
      return out;
    }, note);
  return html`
    <section class="card console-card" aria-labelledby=${`${id}-h`}>
      <h2 id=${`${id}-h`}>${t('mod.session')}</h2>
      <p><span class=${`state-chip state-chip-${session.state}`} data-state=${session.state}>${t(`state.${session.state}`)}</span></p>
      <p class="hint">${fmtDateTime(session.start_utc, viewerZone())} – ${fmtTime(session.end_utc, viewerZone())}</p>
      <div class="button-row">
        <button type="button" class="button" disabled=${state.busy || !['scheduled', 'lobby'].includes(session.state)} onClick=${() => call('start-early', undefined, t('mod.started'))}>
          ${t('mod.start_early')}
        </button>
        <button type="button" class="button button-danger" disabled=${state.busy || session.state !== 'live'} onClick=${() => call('end-now', undefined, t('mod.ended'))}>
          ${t('mod.end_now')}
        </button>
      </div>
      <form class="inline-form" onSubmit=${(e) => { e.preventDefault(); call('extend', { minutes: Number(minutes) }, t('mod.extended', { count: Number(minutes) })); }}>
        <label for=${`${id}-min`}>${t('mod.extend_by')}</label>
        <select id=${`${id}-min`} value=${minutes} onChange=${(e) => setMinutes(e.target.value)}>
          ${[5, 10, 15, 30, 60].map((m) => html`<option value=${m}>${t('mod.minutes', { count: m })}</option>`)}
        </select>
        <button type="submit" class="button" disabled=${state.busy || ['ended', 'cancelled'].includes(session.state)}>${t('mod.extend')}</button>
      </form>
      <${Feedback} state=${state} />
    </section>
  `;
}

// Mute or ban one person, after a second look.
function PersonAction({ target, live, onDone }) {
  const [state, run] = useAction();
  const [minutes, setMinutes] = useState('10');
  const [reason, setReason] = useState('');
  const id = useId('pa');
  if (!target) return null;
  const { person, action } = target;
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      if (action === 'mute') await live.request('mod:mute', { public_id: person.public_id, minutes: Number(minutes), reason });
      else await live.request('mod:ban', { public_id: person.public_id, reason });
      onDone(t(action === 'mute' ? 'mod.muted' : 'mod.banned', { name: person.name }));
    });
  };
  return html`
    <form class="card console-card person-action" onSubmit=${submit} aria-labelledby=${`${id}-h`}>
      <h2 id=${`${id}-h`}>${t(action === 'mute' ? 'mod.mute_who' : 'mod.ban_who', { name: person.name })}</h2>
      ${action === 'mute'
        ? html`<div class="field">
            <label for=${`${id}-m`}>${t('mod.for_how_long')}</label>
            <select id=${`${id}-m`} value=${minutes} onChange=${(e) => setMinutes(e.target.value)}>
              ${[2, 10, 30, 60].map((m) => html`<option value=${m}>${t('mod.minutes', { count: m })}</option>`)}
            </select>
          </div>`
        : html`<p>${t('mod.ban_explained')}</p>`}
      <div class="field">
        <label for=${`${id}-r`}>${t('mod.reason')} <span class="optional">${t('form.optional')}</span></label>
        <input id=${`${id}-r`} type="text" maxlength="500" value=${reason} onInput=${(e) => setReason(e.target.value)} />
      </div>
      <div class="button-row">
        <button type="submit" class=${`button ${action === 'ban' ? 'button-danger' : 'button-primary'}`} disabled=${state.busy}>${t(action === 'mute' ? 'mod.mute' : 'mod.ban')}</button>
        <button type="button" class="button" onClick=${() => onDone(null)}>${t('common.cancel')}</button>
      </div>
      <${Feedback} state=${state} />
    </form>
  `;
}

function ChatControls({ live, state }) {
  const [action, run] = useAction();
  const id = useId('cc');
  const { settings } = state;
  return html`
    <div class="chat-controls">
      <div class="inline-form">
        <label for=${`${id}-slow`}>${t('mod.slow_mode')}</label>
        <select id=${`${id}-slow`} value=${String(settings.slow_mode_seconds)} onChange=${(e) => run(() => live.request('mod:slow_mode', { seconds: Number(e.target.value) }))}>
          ${[0, 5, 10, 30, 60, 120].map((s) => html`<option value=${s}>${s ? t('mod.seconds', { count: s }) : t('mod.off')}</option>`)}
        </select>
      </div>
      <button type="button" class="button" aria-pressed=${settings.locked ? 'true' : 'false'} onClick=${() => run(() => live.request('mod:lock', { locked: !settings.locked }))}>
        ${settings.locked ? t('mod.unlock') : t('mod.lock')}
      </button>
      <${Feedback} state=${action} />
    </div>
  `;
}

function QAQueue({ live, state }) {
  const [action, run] = useAction();
  const [answering, setAnswering] = useState(null);
  const [answer, setAnswer] = useState('');
  const questions = sortQuestions(state.questions);
  return html`
    <div>
      <${Feedback} state=${action} />
      ${questions.length === 0 ? html`<p class="muted">${t('qa.none')}</p>` : null}
      <ol class="questions">
        ${questions.map(
          (q) => html`<${QuestionItem} key=${q.id} q=${q} voted=${false}>
            <div class="button-row question-tools">
              <button type="button" class="button button-small" onClick=${() => run(() => live.request('qa:pin', { question_id: q.id, pinned: !q.pinned }))}>${q.pinned ? t('mod.unpin') : t('mod.pin')}</button>
              <button type="button" class="button button-small" onClick=${() => { setAnswering(q.id); setAnswer(q.answer || ''); }}>${t('mod.answer')}</button>
              ${q.state !== 'dismissed' ? html`<button type="button" class="button button-small button-quiet" onClick=${() => run(() => live.request('qa:dismiss', { question_id: q.id }))}>${t('mod.dismiss')}</button>` : null}
            </div>
            ${answering === q.id
              ? html`<form class="inline-form" onSubmit=${(e) => { e.preventDefault(); run(() => live.request('qa:answer', { question_id: q.id, answer: answer.trim() || null })).then(() => setAnswering(null)); }}>
                  <label for=${`ans-${q.id}`}>${t('mod.answer_text')}</label>
                  <input id=${`ans-${q.id}`} type="text" value=${answer} onInput=${(e) => setAnswer(e.target.value)} />
                  <button type="submit" class="button button-small button-primary">${t('mod.mark_answered')}</button>
                </form>`
              : null}
          <//>`,
        )}
      </ol>
    </div>
  `;
}

function PollBuilder({ live, state }) {
  const [action, run] = useAction();
  const [question, setQuestion] = useState('');
  const [options, setOptions] = useState(['', '']);
  const [openNow, setOpenNow] = useState(true);
  const id = useId('pb');
  const create = (e) => {
    e.preventDefault();
    const clean = options.map((o) => o.trim()).filter(Boolean);
    run(async () => {
      const out = await live.request('poll:create', { question: question.trim(), options: clean, open: openNow });
      if (out.poll) live.store.set((s) => ({ polls: s.polls.some((p) => p.id === out.poll.id) ? s.polls : [...s.polls, out.poll] }));
      setQuestion('');
      setOptions(['', '']);
    }, t('mod.poll_created'));
  };
  const polls = state.polls.slice().reverse();
  return html`
    <div>
      <form class="poll-builder" onSubmit=${create}>
        <div class="field">
          <label for=${`${id}-q`}>${t('mod.poll_question')}</label>
          <input id=${`${id}-q`} type="text" maxlength="300" value=${question} onInput=${(e) => setQuestion(e.target.value)} />
        </div>
        ${options.map(
          (o, i) => html`<div class="field option-field">
            <label for=${`${id}-o${i}`}>${t('mod.poll_option', { n: i + 1 })}</label>
            <div class="copy-row">
              <input id=${`${id}-o${i}`} type="text" maxlength="200" value=${o} onInput=${(e) => setOptions(options.map((x, j) => (j === i ? e.target.value : x)))} />
              ${options.length > 2 ? html`<button type="button" class="button button-quiet" aria-label=${t('mod.poll_remove_option', { n: i + 1 })} onClick=${() => setOptions(options.filter((_, j) => j !== i))}>×</button>` : null}
            </div>
          </div>`,
        )}
        <div class="button-row">
          ${options.length < 10 ? html`<button type="button" class="button button-quiet" onClick=${() => setOptions([...options, ''])}>${t('mod.poll_add_option')}</button>` : null}
          <label class="checkbox"><input type="checkbox" checked=${openNow} onChange=${(e) => setOpenNow(e.target.checked)} /> ${t('mod.poll_open_now')}</label>
          <button type="submit" class="button button-primary" disabled=${!question.trim() || options.filter((o) => o.trim()).length < 2 || action.busy}>${t('mod.poll_create')}</button>
        </div>
      </form>
      <${Feedback} state=${action} />
      ${polls.map(
        (p) => html`<article class="card poll" data-poll=${p.id} aria-labelledby=${`mpoll-${p.id}`}>
          <h3 id=${`mpoll-${p.id}`}>${p.question}</h3>
          <p class="hint">${t(`poll.state_${p.state}`)}</p>
          <${Tally} poll=${p} />
          <div class="button-row">
            ${p.state === 'draft' ? html`<button type="button" class="button button-small" onClick=${() => run(() => live.request('poll:open', { poll_id: p.id }))}>${t('mod.poll_open')}</button>` : null}
            ${p.state === 'open' ? html`<button type="button" class="button button-small" onClick=${() => run(() => live.request('poll:close', { poll_id: p.id }))}>${t('mod.poll_close')}</button>` : null}
          </div>
        </article>`,
      )}
    </div>
  `;
}

function Hands({ live, state }) {
  const [action, run] = useAction();
  const waiting = state.hands.filter((h) => h.state === 'raised');
  const granted = state.hands.filter((h) => h.state === 'granted');
  return html`
    <div>
      <${Feedback} state=${action} />
      ${waiting.length === 0 ? html`<p class="muted">${t('mod.no_hands')}</p>` : null}
      <ol class="hand-queue">
        ${waiting.map(
          (h) => html`<li data-hand=${h.public_id}>
            <span><strong>${h.name}</strong> <span class="hint">${fmtTime(h.raised_at, viewerZone())}</span></span>
            <span class="button-row">
              <button type="button" class="button button-small button-primary" onClick=${() => run(() => live.request('hand:grant', { public_id: h.public_id }), t('mod.granted', { name: h.name }))}>${t('mod.grant')}</button>
              <button type="button" class="button button-small button-quiet" onClick=${() => run(() => live.request('hand:dismiss', { public_id: h.public_id }))}>${t('mod.dismiss')}</button>
            </span>
          </li>`,
        )}
      </ol>
      ${granted.length ? html`<p class="hint">${t('mod.have_floor', { names: granted.map((h) => h.name).join(', ') })}</p>` : null}
    </div>
  `;
}

function Roster({ state, onPerson }) {
  const people = [...state.roster].sort((a, b) => a.name.localeCompare(b.name));
  return html`
    <div>
      <p class="hint">${t('live.watching', { count: state.presence })}</p>
      <ul class="roster">
        ${people.map(
          (p) => html`<li>
            <span>${p.name} ${p.role !== 'participant' ? html`<span class="role-tag">${t(`live.role_${p.role}`)}</span>` : null}</span>
            ${p.public_id !== state.you?.public_id && p.role !== 'moderator'
              ? html`<span class="button-row">
                  <button type="button" class="link-button" onClick=${() => onPerson(p, 'mute')}>${t('mod.mute')}</button>
                  <button type="button" class="link-button danger" onClick=${() => onPerson(p, 'ban')}>${t('mod.ban')}</button>
                </span>`
              : null}
          </li>`,
        )}
      </ul>
    </div>
  `;
}

function StreamPanel({ session, state }) {
  const config = useAsync(() => api(`/rooms/${session.room.id}/stream`), [session.room.id]);
  const [key, setKey] = useState(null);
  const [action, run] = useAction();
  if (config.error) return html`<${Notice} kind="warning">${errorText(config.error)}<//>`;
  if (!config.data) return html`<${Loading} />`;
  const data = config.data;
  const rotate = () =>
    run(async () => {
      setKey(await api(`/rooms/${session.room.id}/stream-key`, { method: 'POST' }));
      config.reload(true);
    });
  return html`
    <div class="stream-panel">
      <p>${t('mod.provider', { provider: t(`provider.${data.config.provider}`) })}</p>
      ${data.health.length
        ? html`<ul class="health-list">
            ${data.health.map((h) => {
              const status = state.health[h.channel] || h.status;
              return html`<li><span>${h.channel}</span> <span class=${`health health-${status}`} data-health=${status}>${t(`player.health_${status}`)}</span>
                ${h.last_segment_at ? html`<span class="hint"> · ${t('mod.last_segment', { time: fmtTime(h.last_segment_at, viewerZone()) })}</span>` : null}</li>`;
            })}
          </ul>`
        : null}
      ${data.config.provider === 'relay'
        ? html`
            <p class="hint">${data.stream_key_set ? t('mod.key_set', { time: data.stream_key_rotated_at ? fmtDateTime(data.stream_key_rotated_at, viewerZone()) : '' }) : t('mod.key_unset')}</p>
            <button type="button" class="button" onClick=${rotate} disabled=${action.busy}>${data.stream_key_set ? t('mod.rotate_key') : t('mod.make_key')}</button>
            <${Feedback} state=${action} />
            ${key ? html`<${CopyField} id="stream-key" label=${t('mod.stream_key')} value=${key.stream_key} /><p class="hint">${t('mod.key_once')}</p>` : null}
            ${(key?.ingest || data.ingest).map((i) => html`<${CopyField} id=${`ingest-${i.channel}`} label=${t('mod.ingest_url', { channel: i.channel })} value=${i.url} />`)}
          `
        : null}
    </div>
  `;
}

function CaptionDesk({ live, state }) {
  const [text, setText] = useState('');
  const [action, run] = useAction();
  const id = useId('cap');
  const send = (e) => {
    e.preventDefault();
    const line = text.trim();
    if (!line) return;
    run(async () => {
      await live.request('caption:push', { text: line });
      setText('');
    });
  };
  return html`
    <div class="caption-desk">
      <p class="hint">${t('mod.captions_hint')}</p>
      <form class="inline-form" onSubmit=${send}>
        <label for=${`${id}-t`}>${t('mod.caption_line')}</label>
        <input id=${`${id}-t`} type="text" maxlength="500" value=${text} onInput=${(e) => setText(e.target.value)} />
        <button type="submit" class="button button-primary" disabled=${!text.trim() || action.busy}>${t('mod.caption_send')}</button>
      </form>
      <${Feedback} state=${action} />
      <ol class="caption-history">
        ${state.captions.slice(-8).reverse().map((c) => html`<li><span class="hint">${fmtTime(c.at, viewerZone())}</span> ${c.text}</li>`)}
      </ol>
    </div>
  `;
}

function Console({ session: initial, live }) {
  const state = useStore(live.store);
  const [session, setSession] = useState(initial);
  const [target, setTarget] = useState(null);
  const [note, setNote] = useState(null);
  const [panel, setPanel] = useState('qa');
  const pushed = state.state;
  useEffect(() => {
    if (pushed) setSession((s) => ({ ...s, state: pushed.to, start_utc: pushed.start_utc || s.start_utc, end_utc: pushed.end_utc || s.end_utc }));
  }, [pushed]);
  if (state.you && state.you.role !== 'moderator') return html`<${Notice} kind="warning">${t('mod.not_moderator')}<//>`;
  const onPerson = (person, action) => setTarget({ person, action });
  const actions = {
    remove: (m) => live.request('mod:delete', { seq: m.seq }).catch((err) => setNote({ kind: 'error', text: errorText(err) })),
    pin: (m) => live.request('mod:pin', { seq: m.seq }).catch((err) => setNote({ kind: 'error', text: errorText(err) })),
    unpin: () => live.request('mod:unpin', {}).catch((err) => setNote({ kind: 'error', text: errorText(err) })),
    mute: (author) => onPerson(author, 'mute'),
    ban: (author) => onPerson(author, 'ban'),
  };
  const waiting = state.hands.filter((h) => h.state === 'raised').length;
  const panels = [
    ['qa', t('mod.qa_queue', { count: state.questions.filter((q) => q.state === 'open').length })],
    ['polls', t('live.polls')],
    ['hands', t('mod.hands', { count: waiting })],
    ['roster', t('mod.roster', { count: state.presence })],
    ['captions', t('live.captions')],
    ['stream', t('mod.stream')],
  ];
  return html`
    <div class="console">
      <${ConnectionStatus} state=${state} />
      ${note ? html`<${Notice} kind=${note.kind}>${note.text}<//>` : null}
      <div class="console-layout">
        <div class="console-main">
          <${Lifecycle} session=${session} onChange=${(s) => setSession(s)} />
          <${PersonAction} target=${target} live=${live} onDone=${(text) => { setTarget(null); if (text) setNote({ kind: 'success', text }); }} />
          <section class="card console-card" aria-labelledby="mc-chat-h">
            <h2 id="mc-chat-h">${t('live.chat')}</h2>
            <${ChatControls} live=${live} state=${state} />
            <${Chat} live=${live} state=${state} moderator=${true} actions=${actions} />
          </section>
        </div>
        <div class="console-side card">
          <nav class="sub-nav" aria-label=${t('mod.panels')}>
            ${panels.map(([id, label]) => html`<button type="button" class="sub-nav-link link-like" aria-current=${panel === id ? 'true' : undefined} onClick=${() => setPanel(id)}>${label}</button>`)}
          </nav>
          ${panel === 'qa' ? html`<${QAQueue} live=${live} state=${state} />` : null}
          ${panel === 'polls' ? html`<${PollBuilder} live=${live} state=${state} />` : null}
          ${panel === 'hands' ? html`<${Hands} live=${live} state=${state} />` : null}
          ${panel === 'roster' ? html`<${Roster} state=${state} onPerson=${onPerson} />` : null}
          ${panel === 'captions' ? html`<${CaptionDesk} live=${live} state=${state} />` : null}
          ${panel === 'stream' ? html`<${StreamPanel} session=${session} state=${state} />` : null}
        </div>
      </div>
    </div>
  `;
}

export default function ModeratePage({ route }) {
  const sessionId = Number(route.params.id);
  const { user, ready } = useStore(authStore);
  const session = useAsync((signal) => api(`/sessions/${sessionId}`, { signal }), [sessionId]);
  const room = useLiveRoom(sessionId, user, 'moderator');
  const title = session.data ? t('mod.title_of', { title: session.data.title }) : t('mod.title');
  if (!ready || (!session.data && !session.error)) return html`<${Page} title=${title}><${Loading} /><//>`;
  if (!user) {
    return html`<${Page} title=${title}><${Notice}>${t('login.needed')} <a href=${`/login?next=${encodeURIComponent(here())}`}>${t('nav.login')}</a><//><//>`;
  }
  if (session.error) return html`<${Page} title=${title}><${Notice} kind="error">${errorText(session.error)}<//><//>`;
  return html`
    <${Page} title=${title} subtitle=${session.data.room.name} actions=${html`<a class="button" href=${`/rooms/${sessionId}`}>${t('mod.open_room')}</a>`} wide=${true}>
      ${room.error ? html`<${JoinRefused} error=${room.error} sessionId=${sessionId} />` : null}
      ${room.live ? html`<${Console} session=${session.data} live=${room.live} />` : !room.error ? html`<${Loading} label=${t('live.joining')} />` : null}
    <//>
  `;
}

