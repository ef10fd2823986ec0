// Rooms × hours for one day, in the event's zone. Click a block to edit it; drag
// it to another time or room to move it (15-minute steps). A move the server
// refuses (409) springs back and names what it collides with.
import { ApiError, api } from '../core/api.js';
import { errorText, refName, t } from '../core/i18n.js';
import { html, useRef, useState } from '../core/preact.js';
import { loadProgramme } from '../core/programme.js';
import { fmtTime } from '../core/time.js';
import { ErrorNotice, Loading, Notice, useAsync, useId } from '../core/ui.js';
import { ConflictList } from './conflicts.js';
import { dayOptions } from './programme.js';
import { SessionForm, addMinutes } from './session-form.js';

const SNAP_MIN = 15;

// Minutes since the day's midnight, in the event's zone, clipped to the day.
function minuteOfDay(session, which, day) {
  const local = (which === 'start' ? session.start_event : session.end_event);
  const date = local.slice(0, 10);
  if (date < day) return 0;
  if (date > day) return 24 * 60;
  return Number(local.slice(11, 13)) * 60 + Number(local.slice(14, 16));
}

function clashing(sessions) {
  const ids = new Set();
  const live = sessions.filter((s) => s.state !== 'cancelled');
  for (let i = 0; i < live.length; i++) {
    for (let j = i + 1; j < live.length; j++) {
      const a = live[i];
      const b = live[j];
      if (a.room.id === b.room.id && a.start_utc < b.end_utc && b.start_utc < a.end_utc) {
        ids.add(a.id);
        ids.add(b.id);
      }
    }
  }
  return ids;
}

export default function Timeline() {
  const programme = useAsync(() => loadProgramme(), []);
  const id = useId('tl');
  const [day, setDay] = useState(null);
  const [version, setVersion] = useState(0);
  const [editing, setEditing] = useState(null);
  const [note, setNote] = useState(null);
  const [drag, setDrag] = useState(null);
  const grid = useRef(null);
  const event = programme.data?.event;
  const chosen = day && /^\d{4}-/.test(day) ? day : event?.final_start;
  const list = useAsync((signal) => (event ? api('/agenda', { query: { day: chosen, limit: 1000 }, signal }) : null), [event?.id, chosen, version]);
  if (programme.error) return html`<${ErrorNotice} error=${programme.error} />`;
  if (list.error) return html`<${ErrorNotice} error=${list.error} />`;
  if (!programme.data || !list.data) return html`<${Loading} />`;
  const { rooms } = programme.data;
  const sessions = list.data.sessions;
  let first = 8 * 60;
  let last = 19 * 60;
  // All-day sessions (exhibitions, hackathons) would stretch the day to 24 h; they are clipped instead.
  for (const s of sessions.filter((x) => minuteOfDay(x, 'end', chosen) - minuteOfDay(x, 'start', chosen) < 12 * 60)) {
    first = Math.min(first, minuteOfDay(s, 'start', chosen));
    last = Math.max(last, minuteOfDay(s, 'end', chosen));
  }
  first = Math.floor(first / 60) * 60;
  last = Math.min(24 * 60, Math.ceil(last / 60) * 60);
  const span = last - first;
  const hours = [];
  for (let m = first; m < last; m += 60) hours.push(m);
  const clashes = clashing(sessions);
  const pct = (minutes) => `${((minutes - first) / span) * 100}%`;

  const startDrag = (e, session) => {
    if (e.button !== 0) return;
    const track = e.currentTarget.parentElement.getBoundingClientRect();
    setDrag({ session, x0: e.clientX, width: track.width, dx: 0, roomId: session.room.id, moved: false });
    e.currentTarget.setPointerCapture(e.pointerId);
  };
  const moveDrag = (e) => {
    if (!drag) return;
    const rtl = document.documentElement.dir === 'rtl';
    const dx = (e.clientX - drag.x0) * (rtl ? -1 : 1);
    const under = document.elementsFromPoint(e.clientX, e.clientY).find((el) => el.dataset && el.dataset.room);
    setDrag({ ...drag, dx, roomId: under ? Number(under.dataset.room) : drag.roomId, moved: drag.moved || Math.abs(dx) > 4 });
  };
  const endDrag = async () => {
    if (!drag) return;
    const { session, dx, width, roomId, moved } = drag;
    setDrag(null);
    if (!moved && roomId === session.room.id) {
      setEditing({ session });
      return;
    }
    const shift = Math.round(((dx / width) * span) / SNAP_MIN) * SNAP_MIN;
    if (!shift && roomId === session.room.id) return;
    const start = addMinutes(session.start_event.slice(0, 16), shift);
    try {
      const saved = await api(`/sessions/${session.id}`, { method: 'PATCH', body: { start, duration_min: session.duration_min, room_id: roomId } });
      setNote({ kind: 'success', text: t('timeline.moved', { title: saved.title, time: fmtTime(saved.start_utc, event.timezone) }) });
    } catch (err) {
      const conflicts = err instanceof ApiError && err.code === 'conflict' ? err.details?.conflicts || [] : [];
      setNote({ kind: 'error', text: conflicts.length ? t('editor.conflict') : errorText(err), conflicts });
    }
    setVersion((v) => v + 1);
  };

  return html`
    <div class="timeline-page">
      <div class="toolbar">
        <div class="field">
          <label for=${`${id}-day`}>${t('editor.day')}</label>
          <select id=${`${id}-day`} value=${chosen} onChange=${(e) => setDay(e.target.value)}>
            ${dayOptions(event).filter((o) => /^\d{4}-/.test(o.value)).map((o) => html`<option value=${o.value}>${o.label}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for=${`${id}-date`}>${t('timeline.other_day')}</label>
          <input id=${`${id}-date`} type="date" value=${chosen} onChange=${(e) => e.target.value && setDay(e.target.value)} />
        </div>
        <p class="hint timeline-hint">${t('timeline.hint', { zone: event.timezone })}</p>
      </div>
      ${note
        ? html`<div>
            <${Notice} kind=${note.kind}>${note.text}<//>
            ${note.conflicts?.length ? html`<${ConflictList} conflicts=${note.conflicts} eventZone=${event.timezone} />` : null}
          </div>`
        : null}
      ${clashes.size ? html`<${Notice} kind="warning">${t('timeline.clashes', { count: clashes.size })}<//>` : null}
      <div class="timeline" ref=${grid} role="region" aria-label=${t('timeline.label')} tabindex="0" style=${{ '--hours': hours.length }}>
        <div class="tl-row tl-head" aria-hidden="true">
          <div class="tl-room"></div>
          <div class="tl-track">
            ${hours.map((m) => html`<span class="tl-hour" style=${{ insetInlineStart: pct(m) }}>${String(Math.floor(m / 60)).padStart(2, '0')}:00</span>`)}
          </div>
        </div>
        ${rooms.map(
          (room) => html`
            <div class=${`tl-row${drag && drag.roomId === room.id ? ' tl-row-target' : ''}`} data-room=${room.id}>
              <div class="tl-room" data-room=${room.id}>${room.name}</div>
              <div class="tl-track" data-room=${room.id}>
                ${hours.map((m) => html`<span class="tl-line" style=${{ insetInlineStart: pct(m) }} aria-hidden="true"></span>`)}
                ${sessions
                  .filter((s) => s.room.id === room.id)
                  .map((s) => {
                    const a = Math.max(first, minuteOfDay(s, 'start', chosen));
                    const b = Math.min(last, minuteOfDay(s, 'end', chosen));
                    const dragging = drag && drag.session.id === s.id;
                    return html`
                      <button
                        type="button"
                        class=${`tl-block type-${s.type.key}${clashes.has(s.id) ? ' tl-clash' : ''}${s.state === 'cancelled' ? ' tl-cancelled' : ''}${dragging ? ' tl-dragging' : ''}`}
                        style=${{ insetInlineStart: pct(a), inlineSize: `${((b - a) / span) * 100}%`, transform: dragging ? `translateX(${(document.documentElement.dir === 'rtl' ? -1 : 1) * drag.dx}px)` : '' }}
                        aria-label=${t('timeline.block', { title: s.title, time: `${fmtTime(s.start_utc, event.timezone)}–${fmtTime(s.end_utc, event.timezone)}`, room: room.name })}
                        onPointerDown=${(e) => startDrag(e, s)}
                        onPointerMove=${moveDrag}
                        onPointerUp=${endDrag}
                        onKeyDown=${(e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), setEditing({ session: s }))}
                        data-block=${s.id}
                      >
                        <span class="tl-time">${fmtTime(s.start_utc, event.timezone)}</span>
                        <span class="tl-title">${s.title}</span>
                        <span class="tl-type">${refName('type', s.type.key, s.type.name)}</span>
                      </button>
                    `;
                  })}
              </div>
            </div>
          `,
        )}
      </div>
      ${editing
        ? html`<${SessionForm}
            programme=${programme.data}
            session=${editing.session}
            onSaved=${(saved) => {
              setEditing(null);
              setNote({ kind: 'success', text: t('editor.saved', { title: saved.title }) });
              setVersion((v) => v + 1);
            }}
            onClose=${() => setEditing(null)}
          />`
        : null}
    </div>
  `;
}
