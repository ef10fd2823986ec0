// Pieces every view of a session shares: its badge, its times, its star, its card.
import { authStore, setStar } from '../core/auth.js';
import { errorText, languageName, refName, t } from '../core/i18n.js';
import { html, useState } from '../core/preact.js';
import { here, navigate } from '../core/router.js';
import { useStore } from '../core/store.js';
import { dayKey, fmtDateTime, fmtDay, fmtTime, sameClock, viewerZone, zoneLabel } from '../core/time.js';

export const SOON_MS = 15 * 60 * 1000;

// The badge follows the server's lifecycle state (pushed live); "starting soon"
// also covers the last minutes before the lobby opens, read from the shared clock.
export function badgeOf(session, now) {
  const start = Date.parse(session.start_utc);
  switch (session.state) {
    case 'cancelled':
      return { kind: 'cancelled', label: t('badge.cancelled') };
    case 'ended':
      return { kind: 'ended', label: t('badge.ended') };
    case 'live':
      return { kind: 'live', label: t('badge.live') };
    case 'lobby':
      return { kind: 'soon', label: t('badge.soon') };
    default:
      return start > now && start - now <= SOON_MS ? { kind: 'soon', label: t('badge.soon') } : null;
  }
}

export function Badge({ session, now }) {
  const badge = badgeOf(session, now);
  if (!badge) return null;
  return html`<span class=${`badge badge-${badge.kind}`} data-badge=${badge.kind}>
    ${badge.kind === 'live' ? html`<span class="pulse" aria-hidden="true"></span>` : null}${badge.label}
  </span>`;
}

// "14:00–15:30 New York (GMT-5)" and, when the zones differ, the event's clock beside it.
export function Times({ session, withDay = false }) {
  const zone = viewerZone();
  const eventZone = session.event_tz;
  const startDay = dayKey(session.start_utc, zone);
  const crossesDay = startDay !== session.start_event.slice(0, 10);
  const multiDay = dayKey(session.end_utc, zone) !== startDay && Date.parse(session.end_utc) - Date.parse(session.start_utc) > 12 * 3600 * 1000;
  const viewer = html`
    <span class="time-main">
      ${withDay || crossesDay || multiDay ? html`<span class="time-day">${fmtDay(session.start_utc, zone)} </span>` : null}
      <time datetime=${session.start_utc}>${fmtTime(session.start_utc, zone)}</time>–${multiDay ? html`<span class="time-day">${fmtDay(session.end_utc, zone)} </span>` : null}<time datetime=${session.end_utc}>${fmtTime(session.end_utc, zone)}</time>
    </span>
    <span class="time-zone">${zoneLabel(zone, session.start_utc)}</span>
  `;
  if (sameClock(zone, eventZone)) return html`<div class="times">${viewer}</div>`;
  const eventRange = multiDay
    ? `${fmtDateTime(session.start_utc, eventZone)} – ${fmtDateTime(session.end_utc, eventZone)}`
    : `${fmtTime(session.start_utc, eventZone)}–${fmtTime(session.end_utc, eventZone)}`;
  return html`
    <div class="times">
      ${viewer}
      <span class="time-event">${t('time.event_time', { time: eventRange, zone: zoneLabel(eventZone, session.start_utc) })}</span>
    </div>
  `;
}

export function StarButton({ session, compact = false }) {
  const { user, starred } = useStore(authStore);
  const [error, setError] = useState(null);
  const on = starred.has(session.id);
  const toggle = async () => {
    if (!user) {
      navigate(`/login?next=${encodeURIComponent(here())}`);
      return;
    }
    setError(null);
    try {
      await setStar(session.id, !on);
    } catch (err) {
      setError(err);
    }
  };
  return html`
    <span class="star-wrap">
      <button
        type="button"
        class=${`star${on ? ' star-on' : ''}${compact ? ' star-compact' : ''}`}
        aria-pressed=${on ? 'true' : 'false'}
        aria-label=${compact ? t('star.label', { title: session.title }) : undefined}
        title=${user ? undefined : t('star.login_first')}
        onClick=${toggle}
        data-star=${session.id}
      >
        <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M12 2.8l2.8 5.9 6.4.8-4.7 4.4 1.2 6.4L12 17.2l-5.7 3.1 1.2-6.4L2.8 9.5l6.4-.8z"></path></svg>
        ${compact ? null : html`<span>${on ? t('star.on') : t('star.off')}</span>`}
      </button>
      ${error ? html`<span class="field-error" role="alert">${errorText(error)}</span>` : null}
    </span>
  `;
}

export function peopleLine(people, max = 3) {
  const names = people.slice(0, max).map((p) => p.name);
  const rest = people.length - names.length;
  return rest > 0 ? t('people.and_more', { names: names.join(', '), count: rest }) : names.join(', ');
}

export function SessionCard({ session, now, showDay = false }) {
  const titleId = `s-${session.id}-title`;
  const cancelled = session.state === 'cancelled';
  return html`
    <article class=${`card session-card state-${session.state}`} aria-labelledby=${titleId} data-session=${session.id}>
      <div class="card-when">
        <${Times} session=${session} withDay=${showDay} />
      </div>
      <div class="card-body">
        <div class="card-top">
          <${Badge} session=${session} now=${now} />
          <span class="card-type">${refName('type', session.type.key, session.type.name)}</span>
        </div>
        <h3 id=${titleId} class=${cancelled ? 'struck' : ''}><a href=${`/sessions/${session.id}`}>${session.title}</a></h3>
        <p class="card-meta">
          <span>${refName('track', session.track.slug, session.track.name)}</span>
          <span aria-hidden="true"> · </span>
          <span>${session.room.name}</span>
          <span aria-hidden="true"> · </span>
          <span>${session.languages.map(languageName).join(', ')}</span>
        </p>
        ${session.speakers.length
          ? html`<p class="card-people">${t('card.speakers', { names: peopleLine(session.speakers) })}</p>`
          : null}
      </div>
      <div class="card-side">
        <${StarButton} session=${session} compact=${true} />
      </div>
    </article>
  `;
}
