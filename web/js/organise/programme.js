// The programme editor: every session of a day (or found by search), edit in a
// dialog, create, cancel, delete; the programme's conflicts listed on top.
import { api } from '../core/api.js';
import { errorText, refName, t } from '../core/i18n.js';
import { html, useState } from '../core/preact.js';
import { finalDays, loadProgramme } from '../core/programme.js';
import { fmtDayKey, fmtTime } from '../core/time.js';
import { ErrorNotice, Loading, Notice, useAsync, useId } from '../core/ui.js';
import { ConflictList } from './conflicts.js';
import { SessionForm } from './session-form.js';

export function dayOptions(event) {
  const options = finalDays(event).map((day) => ({ value: day, label: fmtDayKey(day, { weekday: 'long', day: 'numeric', month: 'long' }) }));
  if (event.pre_events_start) options.unshift({ value: 'pre', label: t('agenda.tab_pre') });
  options.push({ value: 'all', label: t('agenda.tab_all') });
  return options;
}

export function dayRange(day, event) {
  if (day === 'pre') return { from: event.pre_events_start, to: event.pre_events_end };
  if (day === 'all') return {};
  return { day };
}

function ConflictsPanel({ version, onOpen, eventZone }) {
  const found = useAsync(() => api('/conflicts'), [version]);
  if (found.loading && !found.data) return html`<${Loading} label=${t('editor.checking')} />`;
  if (found.error) return html`<${ErrorNotice} error=${found.error} />`;
  const { total, conflicts } = found.data;
  if (!total) return html`<${Notice} kind="success">${t('editor.no_conflicts')}<//>`;
  return html`
    <details class="card conflicts-panel">
      <summary>${t('editor.conflicts', { count: total })}</summary>
      <${ConflictList} conflicts=${conflicts} eventZone=${eventZone} onOpen=${onOpen} />
    </details>
  `;
}

export default function ProgrammeEditor() {
  const programme = useAsync(() => loadProgramme(), []);
  const id = useId('pe');
  const [day, setDay] = useState(null);
  const [q, setQ] = useState('');
  const [editing, setEditing] = useState(null); // {session} | {start} | null
  const [note, setNote] = useState(null);
  const [version, setVersion] = useState(0);
  const event = programme.data?.event;
  const chosenDay = day || (event ? finalDays(event)[0] : null);
  const list = useAsync(
    (signal) => (event ? api('/agenda', { query: { ...dayRange(chosenDay, event), q, limit: 500 }, signal }) : null),
    [event?.id, chosenDay, q, version],
  );
  if (programme.error) return html`<${ErrorNotice} error=${programme.error} />`;
  if (!programme.data) return html`<${Loading} />`;
  const open = async (sessionId) => setEditing({ session: await api(`/sessions/${sessionId}`) });
  const saved = (session, how) => {
    setEditing(null);
    setNote({ kind: 'success', text: t(how === 'created' ? 'editor.created' : 'editor.saved', { title: session.title }) });
    setVersion((v) => v + 1);
  };
  const cancel = async (session) => {
    try {
      await api(`/sessions/${session.id}/cancel`, { method: 'POST' });
      setNote({ kind: 'success', text: t('editor.cancelled', { title: session.title }) });
      setVersion((v) => v + 1);
    } catch (err) {
      setNote({ kind: 'error', text: errorText(err) });
    }
  };
  return html`
    <div class="editor">
      <${ConflictsPanel} version=${version} onOpen=${open} eventZone=${event.timezone} />
      <div class="toolbar">
        <div class="field">
          <label for=${`${id}-day`}>${t('editor.day')}</label>
          <select id=${`${id}-day`} value=${chosenDay} onChange=${(e) => setDay(e.target.value)}>
            ${dayOptions(event).map((o) => html`<option value=${o.value}>${o.label}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for=${`${id}-q`}>${t('filter.search')}</label>
          <input id=${`${id}-q`} type="search" value=${q} onChange=${(e) => setQ(e.target.value.trim())} />
        </div>
        <button type="button" class="button button-primary" onClick=${() => setEditing({ start: /^\d{4}-/.test(chosenDay) ? `${chosenDay}T10:00` : null })}>
          ${t('editor.new')}
        </button>
      </div>
      ${note ? html`<${Notice} kind=${note.kind}>${note.text}<//>` : null}
      ${list.error ? html`<${ErrorNotice} error=${list.error} />` : null}
      ${list.loading && !list.data ? html`<${Loading} />` : null}
      ${list.data
        ? html`
            <div class="table-wrap">
              <table class="table">
                <caption class="visually-hidden">${t('editor.table_caption')}</caption>
                <thead>
                  <tr>
                    <th scope="col">${t('editor.col_time', { zone: event.timezone })}</th>
                    <th scope="col">${t('editor.col_title')}</th>
                    <th scope="col">${t('filter.room')}</th>
                    <th scope="col">${t('filter.type')}</th>
                    <th scope="col">${t('editor.col_state')}</th>
                    <th scope="col"><span class="visually-hidden">${t('editor.col_actions')}</span></th>
                  </tr>
                </thead>
                <tbody>
                  ${list.data.sessions.map(
                    (s) => html`
                      <tr data-row=${s.id} class=${s.state === 'cancelled' ? 'row-cancelled' : ''}>
                        <td class="nowrap">${chosenDay === 'pre' || chosenDay === 'all' ? `${fmtDayKey(s.start_event.slice(0, 10))} ` : ''}${fmtTime(s.start_utc, event.timezone)}–${fmtTime(s.end_utc, event.timezone)}</td>
                        <td><a href=${`/sessions/${s.id}`}>${s.title}</a></td>
                        <td>${s.room.name}</td>
                        <td>${refName('type', s.type.key, s.type.name)}</td>
                        <td>${t(`state.${s.state}`)}</td>
                        <td><div class="row-actions">
                          <button type="button" class="button button-small" onClick=${() => setEditing({ session: s })} aria-label=${t('editor.edit_named', { title: s.title })}>${t('common.edit')}</button>
                          ${s.state !== 'cancelled' && s.state !== 'ended'
                            ? html`<button type="button" class="button button-small button-quiet" onClick=${() => cancel(s)} aria-label=${t('editor.cancel_named', { title: s.title })}>${t('editor.cancel')}</button>`
                            : null}
                        </div></td>
                      </tr>
                    `,
                  )}
                </tbody>
              </table>
            </div>
            ${list.data.sessions.length === 0 ? html`<div class="empty"><p>${t('agenda.empty')}</p></div>` : null}
          `
        : null}
      ${editing
        ? html`<${SessionForm} programme=${programme.data} session=${editing.session} start=${editing.start} onSaved=${saved} onClose=${() => setEditing(null)} />`
        : null}
    </div>
  `;
}
