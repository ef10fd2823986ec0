// Times: stored and sent in UTC; shown in the viewer's zone (Intl) with the
// event's wall clock beside it. Intl knows IANA zones only, and "Europe/Geneva"
// is not one (the server keeps it as an alias of Europe/Zurich), hence ALIASES.
import { intlLocale, t } from './i18n.js';
import { createStore } from './store.js';

const ALIASES = { 'Europe/Geneva': 'Europe/Zurich' };
const ZONE_KEY = 'forumlive.tz';

export function intlZone(zone) {
  const name = ALIASES[zone] || zone || 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return name;
  } catch {
    return 'UTC';
  }
}

export function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

export const zoneStore = createStore({ zone: localStorage.getItem(ZONE_KEY) || browserZone() });

export const viewerZone = () => zoneStore.get().zone;

export function setViewerZone(zone) {
  if (!zone || zone === browserZone()) localStorage.removeItem(ZONE_KEY);
  else localStorage.setItem(ZONE_KEY, zone);
  zoneStore.set({ zone: zone || browserZone() });
}

export function allZones() {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [browserZone(), 'UTC'];
  }
}

const formats = new Map();
function format(options, zone) {
  const id = `${intlLocale()}|${zone}|${JSON.stringify(options)}`;
  if (!formats.has(id)) formats.set(id, new Intl.DateTimeFormat(intlLocale(), { ...options, timeZone: intlZone(zone) }));
  return formats.get(id);
}

const TIME = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };

export const fmtTime = (iso, zone) => format(TIME, zone).format(new Date(iso));
export const fmtDay = (iso, zone) =>
  format({ weekday: 'short', day: 'numeric', month: 'short' }, zone).format(new Date(iso));
export const fmtDateLong = (iso, zone) =>
  format({ weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }, zone).format(new Date(iso));
export const fmtDateTime = (iso, zone) =>
  format({ weekday: 'short', day: 'numeric', month: 'short', ...TIME }, zone).format(new Date(iso));

// A calendar day (YYYY-MM-DD) as a tab label, read in UTC so no zone shifts it.
export const fmtDayKey = (day, options = { weekday: 'short', day: 'numeric', month: 'short' }) =>
  format(options, 'UTC').format(new Date(`${day}T12:00:00Z`));

// The calendar day of an instant in a zone, as YYYY-MM-DD.
export function dayKey(iso, zone) {
  const parts = format({ year: 'numeric', month: '2-digit', day: '2-digit' }, zone).formatToParts(new Date(iso));
  const get = (type) => parts.find((p) => p.type === type)?.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

// "Geneva (UTC+1)": the city of the zone and its offset at that instant.
export function zoneLabel(zone, iso) {
  const city = (zone || 'UTC').split('/').pop().replace(/_/g, ' ');
  try {
    const part = format({ timeZoneName: 'shortOffset' }, zone)
      .formatToParts(iso ? new Date(iso) : new Date())
      .find((p) => p.type === 'timeZoneName');
    return part ? `${city} (${part.value})` : city;
  } catch {
    return city;
  }
}

export function sameClock(zoneA, zoneB) {
  return intlZone(zoneA) === intlZone(zoneB);
}

// "in 2 h 05 min", "in 3 days": how long until a moment, for countdowns.
export function untilText(ms) {
  if (ms <= 0) return t('time.now');
  const minutes = Math.ceil(ms / 60000);
  if (minutes < 60) return t('time.in_minutes', { count: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return t('time.in_hours_minutes', { hours, minutes: String(minutes % 60).padStart(2, '0') });
  return new Intl.RelativeTimeFormat(intlLocale(), { numeric: 'auto' }).format(Math.round(hours / 24), 'day');
}

// A shared clock, so every badge and countdown on a page moves together.
export const clockStore = createStore({ now: Date.now() });
setInterval(() => clockStore.set({ now: Date.now() }), 15000);
