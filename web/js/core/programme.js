// The event and its catalogues (tracks, types, rooms) change rarely: load once per page visit.
import { api } from './api.js';

let cache = null;

export function loadProgramme({ fresh = false } = {}) {
  if (!cache || fresh) {
    cache = Promise.all([api('/event'), api('/tracks'), api('/session-types'), api('/rooms')]).then(
      ([event, tracks, types, rooms]) => ({ event, tracks, types, rooms }),
    );
    cache.catch(() => {
      cache = null;
    });
  }
  return cache;
}

// Final-week days of the event, YYYY-MM-DD, in its own calendar.
export function finalDays(event) {
  const days = [];
  const end = new Date(`${event.final_end}T12:00:00Z`);
  for (let d = new Date(`${event.final_start}T12:00:00Z`); d <= end; d.setUTCDate(d.getUTCDate() + 1)) {
    days.push(d.toISOString().slice(0, 10));
  }
  return days;
}

// The day of the event (in its zone) an instant falls on: start_event carries the event's offset.
export const eventDay = (session) => session.start_event.slice(0, 10);
