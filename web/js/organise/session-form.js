// Create or edit a session. Clashes are looked up while the organiser types
// (room and speakers at that time); the server's 409 is the final word.
import { ApiError, api, fieldErrors } from '../core/api.js';
import { errorText, languageName, refName, t } from '../core/i18n.js';
import { html, useEffect, useRef, useState } from '../core/preact.js';
import { Field, Notice, fieldErrorText } from '../core/ui.js';
import { ConflictList } from './conflicts.js';
import { PeoplePicker } from './people-picker.js';

const ACTION_LINES = Array.from({ length: 11 }, (_, i) => `C${i + 1}`);
const SDGS = Array.from({ length: 17 }, (_, i) => i + 1);

// Wall-clock arithmetic on "YYYY-MM-DDTHH:MM" (the event's local time).
export function addMinutes(local, minutes) {
  const d = new Date(`${local}:00Z`);
  d.setUTCMinutes(d.getUTCMinutes() + minutes);
  return d.toISOString().slice(0, 16);
}

function fromSession(session) {
  return {
    title: session.title,
    abstract: session.abstract,
    track_id: String(session.track.id),
    type_id: String(session.type.id),
    room_id: String(session.room.id),
    start: session.start_event.slice(0, 16),
    duration_min: String(session.duration_min),
    languages: [...session.languages],
    speakers: session.speakers,
    moderators: session.moderators,
    action_lines: [...session.action_lines],
    sdgs: [...session.sdgs],
    capacity: session.capacity ? String(session.capacity) : '',
    open_to_all: session.open_to_all,
  };
}

function blank(programme, start) {
  const type = programme.types[0];
  return {
    title: '',
    abstract: '',
    track_id: String(programme.tracks[0]?.id ?? ''),
    type_id: String(type?.id ?? ''),
    room_id: String(programme.rooms[0]?.id ?? ''),
    start: start || `${programme.event.final_start}T10:00`,
    duration_min: String(type?.default_duration_min ?? 60),
    languages: ['en'],
    speakers: [],
    moderators: [],
    action_lines: [],
    sdgs: [],
    capacity: '',
    open_to_all: false,
  };
}

function toggle(list, value) {
  return list.includes(value) ? list.filter((x) => x !== value) : [...list, value];
}

// Sessions already in this room, or with these speakers, at this time.
function useClashes(values, sessionId) {
  const [clashes, setClashes] = useState([]);
  const key = JSON.stringify([values.room_id, values.start, values.duration_min, values.speakers.map((p) => p.id), values.moderators.map((p) => p.id)]);
  useEffect(() => {
    const minutes = Number(values.duration_min);
    if (!values.start || !minutes || !values.room_id) {
      setClashes([]);
      return undefined;
    }
    const controller = new AbortController();
    const timer = setTimeout(async () => {
      const window = { from: values.start, to: addMinutes(values.start, minutes), limit: 50 };
      const asks = [{ kind: 'room_overlap', query: { room: values.room_id } }];
      for (const p of [...values.speakers, ...values.moderators]) asks.push({ kind: 'person_overlap', query: { speaker: String(p.id) }, person: p });
      try {
        const found = [];
        for (const ask of asks) {
          const page = await api('/agenda', { query: { ...window, ...ask.query }, signal: controller.signal });
          const others = page.sessions.filter((s) => s.id !== sessionId && s.state !== 'cancelled');
          if (others.length) found.push({ kind: ask.kind, person: ask.person, sessions: others });
        }
        setClashes(found);
      } catch (err) {
        if (err.name !== 'AbortError') setClashes([]);
      }
    }, 450);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [key]);
  return clashes;
}

export function SessionForm({ programme, session, start, onSaved, onClose }) {
  const [values, setValues] = useState(() => (session ? fromSession(session) : blank(programme, start)));
  const [errors, setErrors] = useState({});
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const dialog = useRef(null);
  const clashes = useClashes(values, session?.id);
  const { event, tracks, types, rooms } = programme;
  const set = (name, value) => setValues((v) => ({ ...v, [name]: value }));
  useEffect(() => {
    const el = dialog.current;
    if (el && !el.open) el.showModal();
    return () => el?.open && el.close();
  }, []);

  const body = () => {
    const out = {
      title: values.title,
      abstract: values.abstract,
      track_id: Number(values.track_id),
      type_id: Number(values.type_id),
      room_id: Number(values.room_id),
      start: values.start,
      duration_min: Number(values.duration_min),
      languages: values.languages,
      speaker_ids: values.speakers.map((p) => p.id),
      moderator_ids: values.moderators.map((p) => p.id),
      action_lines: values.action_lines,
      sdgs: values.sdgs,
      open_to_all: values.open_to_all,
    };
    const capacity = values.capacity === '' ? null : Number(values.capacity);
    if (!session ? capacity !== null : capacity !== session.capacity) out.capacity = capacity;
    return out;
  };
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    setErrors({});
    try {
      const saved = session
        ? await api(`/sessions/${session.id}`, { method: 'PATCH', body: body() })
        : await api('/sessions', { method: 'POST', body: body() });
      onSaved(saved, session ? 'updated' : 'created');
    } catch (err) {
      setErrors(fieldErrors(err));
      setFailure(err);
      setBusy(false);
      requestAnimationFrame(() => dialog.current?.querySelector('.form-failure')?.scrollIntoView({ block: 'nearest' }));
    }
  };
  const err = (name) => errors[name] && fieldErrorText(errors[name]);
  const select = (name, label, options) => html`
    <${Field} id=${`sf-${name}`} label=${label} error=${err(name)}>
      ${(aria) => html`<select ...${aria} value=${values[name]} onChange=${(e) => set(name, e.target.value)}>
        ${options.map((o) => html`<option value=${String(o.id)}>${o.label}</option>`)}
      </select>`}
    <//>
  `;
  const conflicts = failure instanceof ApiError && failure.code === 'conflict' ? failure.details?.conflicts || [] : [];
  return html`
    <dialog ref=${dialog} class="dialog" aria-labelledby="sf-title" onClose=${onClose} onCancel=${onClose}>
      <form class="form session-form" onSubmit=${submit} noValidate>
        <div class="dialog-head">
          <h2 id="sf-title">${session ? t('editor.edit_title') : t('editor.new_title')}</h2>
          <button type="button" class="button button-quiet" onClick=${onClose}>${t('common.close')}</button>
        </div>
        ${failure
          ? html`<div class="form-failure">
              <${Notice} kind="error">${conflicts.length ? t('editor.conflict') : errorText(failure)}<//>
              ${conflicts.length ? html`<${ConflictList} conflicts=${conflicts} eventZone=${event.timezone} />` : null}
            </div>`
          : null}
        <${Field} id="sf-title-input" label=${t('editor.title')} error=${err('title')}>
          ${(aria) => html`<input ...${aria} type="text" required value=${values.title} onInput=${(e) => set('title', e.target.value)} />`}
        <//>
        <${Field} id="sf-abstract" label=${t('editor.abstract')} optional=${true} error=${err('abstract')}>
          ${(aria) => html`<textarea ...${aria} rows="4" value=${values.abstract} onInput=${(e) => set('abstract', e.target.value)}></textarea>`}
        <//>
        <div class="form-grid">
          ${select('track_id', t('filter.track'), tracks.map((x) => ({ id: x.id, label: refName('track', x.slug, x.name) })))}
          ${select('type_id', t('filter.type'), types.map((x) => ({ id: x.id, label: refName('type', x.key, x.name) })))}
          ${select('room_id', t('filter.room'), rooms.map((x) => ({ id: x.id, label: x.name })))}
          <${Field} id="sf-start" label=${t('editor.start', { zone: event.timezone })} error=${err('start')}>
            ${(aria) => html`<input ...${aria} type="datetime-local" required value=${values.start} onInput=${(e) => set('start', e.target.value)} />`}
          <//>
          <${Field} id="sf-duration" label=${t('editor.duration')} error=${err('duration_min')}>
            ${(aria) => html`<input ...${aria} type="number" min="5" step="5" required value=${values.duration_min} onInput=${(e) => set('duration_min', e.target.value)} />`}
          <//>
          <${Field} id="sf-capacity" label=${t('editor.capacity')} optional=${true} hint=${t('editor.capacity_hint')} error=${err('capacity')}>
            ${(aria) => html`<input ...${aria} type="number" min="1" value=${values.capacity} onInput=${(e) => set('capacity', e.target.value)} />`}
          <//>
        </div>
        ${clashes.length
          ? html`<div class="clash-preview" role="status">
              <${Notice} kind="warning">${t('editor.clash_preview')}<//>
              <ul>
                ${clashes.map(
                  (c) => html`<li>${c.kind === 'room_overlap' ? t('conflict.room_overlap') : t('editor.person_busy', { name: c.person.name })}:
                    ${c.sessions.map((s) => s.title).join(' · ')}</li>`,
                )}
              </ul>
            </div>`
          : null}
        <fieldset>
          <legend>${t('session.languages')}</legend>
          <div class="check-grid">
            ${event.languages.map(
              (code) => html`<label class="checkbox"><input type="checkbox" checked=${values.languages.includes(code)} onChange=${() => set('languages', toggle(values.languages, code))} /> ${languageName(code)}</label>`,
            )}
          </div>
        </fieldset>
        <${PeoplePicker} label=${t('session.speakers')} people=${values.speakers} onChange=${(list) => set('speakers', list)} />
        <${PeoplePicker} label=${t('session.moderators')} people=${values.moderators} onChange=${(list) => set('moderators', list)} />
        <fieldset>
          <legend>${t('filter.action_line')}</legend>
          <div class="check-grid">
            ${ACTION_LINES.map(
              (c) => html`<label class="checkbox" title=${t(`al.${c}`)}><input type="checkbox" checked=${values.action_lines.includes(c)} onChange=${() => set('action_lines', toggle(values.action_lines, c))} /> ${c}</label>`,
            )}
          </div>
        </fieldset>
        <fieldset>
          <legend>${t('filter.sdg')}</legend>
          <div class="check-grid">
            ${SDGS.map(
              (n) => html`<label class="checkbox" title=${t(`sdg.${n}`)}><input type="checkbox" checked=${values.sdgs.includes(n)} onChange=${() => set('sdgs', toggle(values.sdgs, n))} /> ${t('session.sdg', { n })}</label>`,
            )}
          </div>
        </fieldset>
        <label class="checkbox"><input type="checkbox" checked=${values.open_to_all} onChange=${(e) => set('open_to_all', e.target.checked)} /> ${t('editor.open_to_all')}</label>
        <div class="form-actions dialog-actions">
          <button type="submit" class="button button-primary" disabled=${busy}>${session ? t('common.save') : t('editor.create')}</button>
          <button type="button" class="button" onClick=${onClose}>${t('common.cancel')}</button>
        </div>
      </form>
    </dialog>
  `;
}
