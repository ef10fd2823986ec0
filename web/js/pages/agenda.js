// The agenda: day tabs across the pre-events and the final week, server-side
// filters kept in the URL, times in the viewer's zone, live badges.
import { EV_AGENDA_CHANGED, EV_SESSION_STATE, applyState, isBulk, listenAgenda } from '../core/agenda-feed.js';
import { api } from '../core/api.js';
import { languageName, locale, refName, t } from '../core/i18n.js';
import { html, useEffect, useMemo, useRef, useState } from '../core/preact.js';
import { eventDay, finalDays, loadProgramme } from '../core/programme.js';
import { setQuery } from '../core/router.js';
import { useStore } from '../core/store.js';
import { clockStore, dayKey, fmtDayKey } from '../core/time.js';
import { ErrorNotice, Loading, Page, Tabs, useAsync, useId } from '../core/ui.js';
import { ZonePicker } from '../core/zone-picker.js';
import { SessionCard } from './session-parts.js';

const PAGE_SIZE = 100;
const FILTERS = ['q', 'track', 'type', 'room', 'language', 'action_line', 'sdg', 'speaker'];
const ACTION_LINES = Array.from({ length: 11 }, (_, i) => `C${i + 1}`);
const SDGS = Array.from({ length: 17 }, (_, i) => i + 1);

// Which tab opens first: today during the final week, the pre-events before it.
function defaultDay(event, now) {
  const today = dayKey(new Date(now).toISOString(), event.timezone);
  const days = finalDays(event);
  if (days.includes(today)) return today;
  if (event.pre_events_start && today < event.final_start) return 'pre';
  return days[0];
}

function dayQuery(day, event) {
  if (day === 'pre') return { from: event.pre_events_start, to: event.pre_events_end };
  if (day === 'all') return {};
  return { day };
}

function dayTabs(event) {
  const tabs = [];
  if (event.pre_events_start) {
    tabs.push({ id: 'pre', label: t('agenda.tab_pre'), sub: t('agenda.tab_pre_sub'), group: 'pre' });
  }
  for (const day of finalDays(event)) {
    tabs.push({ id: day, label: fmtDayKey(day, { weekday: 'short' }), sub: fmtDayKey(day, { day: 'numeric', month: 'short' }) });
  }
  tabs.push({ id: 'all', label: t('agenda.tab_all'), sub: t('agenda.tab_all_sub'), group: 'all' });
  return tabs;
}

// A text filter types into local state and reaches the URL (and the server) after a pause.
function useDebouncedParam(name, value) {
  const [text, setText] = useState(value || '');
  const timer = useRef(null);
  useEffect(() => setText(value || ''), [value]);
  const onInput = (e) => {
    setText(e.target.value);
    clearTimeout(timer.current);
    const next = e.target.value.trim();
    timer.current = setTimeout(() => setQuery({ [name]: next }), 350);
  };
  return [text, onInput];
}

function Filters({ programme, query, open }) {
  const { event, tracks, types, rooms } = programme;
  const id = useId('flt');
  const [q, onQ] = useDebouncedParam('q', query.get('q'));
  const [speaker, onSpeaker] = useDebouncedParam('speaker', query.get('speaker'));
  const select = (name, label, options) => html`
    <div class="field">
      <label for=${`${id}-${name}`}>${label}</label>
      <select id=${`${id}-${name}`} value=${query.get(name) || ''} onChange=${(e) => setQuery({ [name]: e.target.value })}>
        <option value="">${t('filter.any')}</option>
        ${options.map((o) => html`<option value=${o.value}>${o.label}</option>`)}
      </select>
    </div>
  `;
  const active = FILTERS.some((name) => query.get(name));
  const collator = new Intl.Collator(locale());
  return html`
    <form class=${`filters${open ? ' filters-open' : ''}`} id="agenda-filters" role="search" aria-label=${t('filter.label')} onSubmit=${(e) => e.preventDefault()}>
      <div class="field field-search">
        <label for=${`${id}-q`}>${t('filter.search')}</label>
        <input id=${`${id}-q`} type="search" value=${q} onInput=${onQ} placeholder=${t('filter.search_placeholder')} autocomplete="off" />
      </div>
      ${select('track', t('filter.track'), tracks.map((x) => ({ value: x.slug, label: refName('track', x.slug, x.name) })))}
      ${select(
        'type',
        t('filter.type'),
        types.map((x) => ({ value: x.key, label: refName('type', x.key, x.name) })).sort((a, b) => collator.compare(a.label, b.label)),
      )}
      ${select('room', t('filter.room'), rooms.map((x) => ({ value: x.slug, label: x.name })))}
      ${select('language', t('filter.language'), event.languages.map((code) => ({ value: code, label: languageName(code) })))}
      ${select('action_line', t('filter.action_line'), ACTION_LINES.map((c) => ({ value: c, label: `${c} · ${t(`al.${c}`)}` })))}
      ${select('sdg', t('filter.sdg'), SDGS.map((n) => ({ value: String(n), label: `${n} · ${t(`sdg.${n}`)}` })))}
      <div class="field">
        <label for=${`${id}-speaker`}>${t('filter.speaker')}</label>
        <input id=${`${id}-speaker`} type="text" value=${speaker} onInput=${onSpeaker} autocomplete="off" />
      </div>
      ${active
        ? html`<button type="button" class="button button-quiet" onClick=${() => setQuery(Object.fromEntries(FILTERS.map((f) => [f, null])))}>
            ${t('filter.clear')}
          </button>`
        : null}
    </form>
  `;
}

function groupByDay(sessions) {
  const groups = [];
  for (const session of sessions) {
    const day = eventDay(session);
    const last = groups[groups.length - 1];
    if (last && last.day === day) last.sessions.push(session);
    else groups.push({ day, sessions: [session] });
  }
  return groups;
}

function Results({ programme, day, query }) {
  const { now } = useStore(clockStore);
  const [extra, setExtra] = useState({ sessions: [], loadingMore: false });
  const filters = Object.fromEntries(FILTERS.map((name) => [name, query.get(name)]));
  const key = JSON.stringify({ day, filters });
  const result = useAsync(
    (signal) => api('/agenda', { query: { ...dayQuery(day, programme.event), ...filters, limit: PAGE_SIZE }, signal }),
    [key],
  );
  const [live, setLive] = useState({});
  useEffect(() => {
    setExtra({ sessions: [], loadingMore: false });
    setLive({});
  }, [key]);

  // Lifecycle pushes patch the list in place; programme changes refetch it (quietly).
  // A burst of single changes is one refetch (the debounce); a "bulk" push (an
  // import) already stands for the whole batch, so it refetches at once.
  useEffect(() => {
    let timer = null;
    return listenAgenda((name, data) => {
      if (name === EV_SESSION_STATE) setLive((prev) => ({ ...prev, [data.session_id]: data }));
      if (name === EV_AGENDA_CHANGED) {
        clearTimeout(timer);
        timer = setTimeout(() => result.reload(true), isBulk(data) ? 0 : 400);
      }
    });
  }, [key]);

  if (result.loading && !result.data) return html`<${Loading} label=${t('agenda.loading')} />`;
  if (result.error) return html`<${ErrorNotice} error=${result.error} />`;
  const data = result.data;
  const sessions = [...data.sessions, ...extra.sessions].map((s) => (live[s.id] ? applyState(s, live[s.id]) : s));
  const more = async () => {
    setExtra((x) => ({ ...x, loadingMore: true }));
    const next = await api('/agenda', {
      query: { ...dayQuery(day, programme.event), ...filters, limit: PAGE_SIZE, offset: sessions.length },
    });
    setExtra((x) => ({ sessions: [...x.sessions, ...next.sessions], loadingMore: false }));
  };
  const multiDay = day === 'pre' || day === 'all';
  return html`
    <p class="result-count" role="status" aria-live="polite">${t('agenda.count', { count: data.total })}</p>
    ${sessions.length === 0
      ? html`<div class="empty"><p>${t('agenda.empty')}</p></div>`
      : multiDay
        ? groupByDay(sessions).map(
            (group) => html`
              <section class="day-group" aria-labelledby=${`dh-${group.day}`}>
                <h2 id=${`dh-${group.day}`} class="day-heading">${fmtDayKey(group.day, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' })}</h2>
                <div class="card-list">${group.sessions.map((s) => html`<${SessionCard} key=${s.id} session=${s} now=${now} />`)}</div>
              </section>
            `,
          )
        : html`<div class="card-list">${sessions.map((s) => html`<${SessionCard} key=${s.id} session=${s} now=${now} />`)}</div>`}
    ${sessions.length < data.total
      ? html`<p class="more"><button type="button" class="button" onClick=${more} disabled=${extra.loadingMore}>
          ${t('agenda.more', { count: data.total - sessions.length })}
        </button></p>`
      : null}
  `;
}

export default function AgendaPage({ route }) {
  const fresh = useRef(false);
  const programme = useAsync(() => loadProgramme({ fresh: fresh.current }), []);
  // An import (a "bulk" push) can bring rooms and tracks the filters do not list yet.
  useEffect(
    () =>
      listenAgenda((name, data) => {
        if (name !== EV_AGENDA_CHANGED || !isBulk(data)) return;
        fresh.current = true;
        programme.reload(true);
      }),
    [],
  );
  const [filtersOpen, setFiltersOpen] = useState(false);
  const { now } = useStore(clockStore);
  const query = route.query;
  const event = programme.data?.event;
  const tabs = useMemo(() => (event ? dayTabs(event) : []), [event, locale()]);
  if (programme.error) return html`<${Page} title=${t('agenda.title')}><${ErrorNotice} error=${programme.error} /><//>`;
  if (!programme.data) return html`<${Page} title=${t('agenda.title')}><${Loading} /><//>`;
  const asked = query.get('day');
  const day = tabs.some((tab) => tab.id === asked) ? asked : defaultDay(event, now);
  const activeFilters = FILTERS.filter((name) => query.get(name)).length;
  return html`
    <${Page}
      title=${t('agenda.title')}
      subtitle=${t('agenda.subtitle', {
        event: event.name,
        from: fmtDayKey(event.final_start, { day: 'numeric', month: 'long' }),
        to: fmtDayKey(event.final_end, { day: 'numeric', month: 'long', year: 'numeric' }),
      })}
      actions=${html`<${ZonePicker} />`}
      wide=${true}
    >
      <${Tabs} label=${t('agenda.days')} tabs=${tabs} selected=${day} onSelect=${(id) => setQuery({ day: id }, { replace: false })} idPrefix="day" />
      <div class="agenda-layout" id="day-panel" role="tabpanel" aria-labelledby=${`day-${day}`}>
        <div class="filters-col">
          <button
            type="button"
            class="button button-quiet filters-toggle"
            aria-expanded=${filtersOpen ? 'true' : 'false'}
            aria-controls="agenda-filters"
            onClick=${() => setFiltersOpen(!filtersOpen)}
          >
            ${activeFilters ? t('filter.toggle_active', { count: activeFilters }) : t('filter.toggle')}
          </button>
          <${Filters} programme=${programme.data} query=${query} open=${filtersOpen} />
        </div>
        <div class="results-col">
          <${Results} programme=${programme.data} day=${day} query=${query} />
        </div>
      </div>
    <//>
  `;
}

