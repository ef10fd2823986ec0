// One session: what it is about, who speaks, when (in my zone and the event's),
// sign-up, star, and the join button that opens with the lobby.
import { EV_SESSION_STATE, EV_AGENDA_CHANGED, applyState, changedIds, listenAgenda } from '../core/agenda-feed.js';
import { ApiError, api } from '../core/api.js';
import { authStore } from '../core/auth.js';
import { errorText, formatNumber, languageName, refName, t } from '../core/i18n.js';
import { countryName } from '../core/countries.js';
import { html, useEffect, useState } from '../core/preact.js';
import { here, navigate } from '../core/router.js';
import { useStore } from '../core/store.js';
import { fmtDateLong, fmtDateTime, untilText, viewerZone } from '../core/time.js';
import { ErrorNotice, Loading, Notice, Page, useAsync } from '../core/ui.js';
import { JOIN_KEY } from '../live/connection.js';
import { Badge, StarButton, Times } from './session-parts.js';

// Doors open this long before the start unless the server says otherwise (scheduler default).
export const LOBBY_LEAD_MS = 15 * 60 * 1000;

function useSecondClock(active) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return undefined;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

function Paragraphs({ text }) {
  return text
    .split(/\n\s*\n/)
    .filter((p) => p.trim())
    .map((p) => html`<p>${p.trim()}</p>`);
}

function PersonList({ people }) {
  return html`
    <ul class="people">
      ${people.map(
        (p) => html`
          <li class="person">
            <span class="avatar" aria-hidden="true">${p.name.trim().charAt(0)}</span>
            <span>
              <strong>${p.name}</strong>
              <span class="person-meta">${p.organisation}${p.country ? ` · ${countryName(p.country)}` : ''}</span>
              <span class="person-meta">${t(`stakeholder.${p.stakeholder_group}`)}</span>
            </span>
          </li>
        `,
      )}
    </ul>
  `;
}

function JoinBox({ session, user }) {
  const opensAt = Date.parse(session.start_utc) - LOBBY_LEAD_MS;
  const waiting = session.state === 'scheduled' && Date.now() < opensAt;
  const now = useSecondClock(waiting && opensAt - Date.now() < 2 * 3600 * 1000);
  const [state, setState] = useState({ busy: false, error: null });
  if (session.state === 'cancelled') return html`<${Notice} kind="warning">${t('session.cancelled_note')}<//>`;
  if (session.state === 'ended') return html`<p class="join-note">${t('session.ended_note')}</p>`;
  const notYet = session.state === 'scheduled' && now < opensAt;
  const join = async () => {
    if (!user) {
      navigate(`/login?next=${encodeURIComponent(here())}`);
      return;
    }
    setState({ busy: true, error: null });
    try {
      const grant = await api(`/sessions/${session.id}/join`, { method: 'POST' });
      sessionStorage.setItem(JOIN_KEY(session.id), JSON.stringify(grant));
      navigate(`/rooms/${session.id}`);
    } catch (err) {
      setState({ busy: false, error: err });
    }
  };
  return html`
    <div class="join-box">
      <button type="button" class="button button-primary button-large" disabled=${notYet || state.busy} onClick=${join} aria-describedby="join-note">
        ${session.state === 'live' ? t('session.join_live') : t('session.join')}
      </button>
      <p id="join-note" class="join-note" role="status">
        ${notYet
          ? t('session.doors_open_in', { when: untilText(opensAt - now), time: fmtDateTime(new Date(opensAt).toISOString(), viewerZone()) })
          : session.state === 'live'
            ? t('session.live_note')
            : t('session.lobby_note')}
      </p>
      ${state.error
        ? html`<${Notice} kind=${state.error.code === 'not_open_yet' ? 'info' : 'error'}>
            ${errorText(state.error)}
            ${state.error.code === 'not_registered' ? ` ${t('session.sign_up_first')}` : ''}
            ${state.error.details?.opens_at
              ? ` ${t('live.opens_at', { when: untilText(Date.parse(state.error.details.opens_at) - Date.now()), time: fmtDateTime(state.error.details.opens_at, viewerZone()) })}`
              : ''}
          <//>`
        : null}
    </div>
  `;
}

function SignupBox({ session, user, signup, onChange }) {
  const [state, setState] = useState({ busy: false, error: null });
  if (!user || ['ended', 'cancelled'].includes(session.state)) return null;
  const act = async (method) => {
    setState({ busy: true, error: null });
    try {
      const out = await api(`/sessions/${session.id}/signup`, { method });
      onChange(out.status === 'cancelled' ? null : out);
      setState({ busy: false, error: null });
    } catch (err) {
      setState({ busy: false, error: err });
    }
  };
  const status = signup?.status;
  return html`
    <div class="signup-box">
      ${status === 'confirmed'
        ? html`<p class="signup-status ok">${t('signup.confirmed')}</p>`
        : status === 'waitlisted'
          ? html`<p class="signup-status wait">${signup.waitlist_position ? t('signup.waitlisted_at', { position: signup.waitlist_position }) : t('signup.waitlisted')}</p>`
          : null}
      ${status
        ? html`<button type="button" class="button button-quiet" disabled=${state.busy} onClick=${() => act('DELETE')}>${t('signup.cancel')}</button>`
        : html`<button type="button" class="button" disabled=${state.busy} onClick=${() => act('POST')}>${t('signup.do')}</button>`}
      ${state.error ? html`<${Notice} kind="error">${errorText(state.error)}<//>` : null}
    </div>
  `;
}

export default function SessionPage({ route }) {
  const id = Number(route.params.id);
  const { user } = useStore(authStore);
  const result = useAsync((signal) => api(`/sessions/${id}`, { signal }), [id]);
  const [live, setLive] = useState(null);
  const [signup, setSignup] = useState(undefined);
  useEffect(
    () =>
      listenAgenda((name, data) => {
        if (name === EV_SESSION_STATE && data?.session_id === id) setLive(data);
        // One push per change, or one "bulk" push naming many sessions (an import): refetch once.
        if (name === EV_AGENDA_CHANGED && changedIds(data).includes(id)) result.reload(true);
      }),
    [id],
  );
  useEffect(() => {
    if (!user) return;
    api('/me/schedule')
      .then((items) => {
        const mine = items.find((i) => i.session.id === id);
        setSignup(mine?.signup && mine.signup !== 'cancelled' ? { status: mine.signup } : null);
      })
      .catch(() => setSignup(null));
  }, [user?.id, id]);
  if (result.error) {
    const missing = result.error instanceof ApiError && result.error.status === 404;
    return html`<${Page} title=${missing ? t('session.missing') : t('session.title')}>
      ${missing ? html`<p>${t('session.missing_text')}</p>` : html`<${ErrorNotice} error=${result.error} />`}
      <p><a href="/">${t('notfound.back')}</a></p>
    <//>`;
  }
  if (!result.data) return html`<${Page} title=${t('session.title')}><${Loading} /><//>`;
  const session = live ? applyState(result.data, live) : result.data;
  const zone = viewerZone();
  return html`
    <${Page}
      title=${session.title}
      subtitle=${`${refName('type', session.type.key, session.type.name)} · ${refName('track', session.track.slug, session.track.name)}`}
      wide=${true}
    >
      <p class="back"><a href="/">${t('session.back')}</a></p>
      <div class="session-layout">
        <div class="session-main">
          <div class="session-badges"><${Badge} session=${session} now=${Date.now()} /></div>
          <section aria-labelledby="about-h">
            <h2 id="about-h">${t('session.about')}</h2>
            ${session.abstract ? html`<${Paragraphs} text=${session.abstract} />` : html`<p class="muted">${t('session.no_abstract')}</p>`}
          </section>
          ${session.speakers.length
            ? html`<section aria-labelledby="speakers-h"><h2 id="speakers-h">${t('session.speakers')}</h2><${PersonList} people=${session.speakers} /></section>`
            : null}
          ${session.moderators.length
            ? html`<section aria-labelledby="moderators-h"><h2 id="moderators-h">${t('session.moderators')}</h2><${PersonList} people=${session.moderators} /></section>`
            : null}
          ${session.action_lines.length || session.sdgs.length
            ? html`<section aria-labelledby="topics-h">
                <h2 id="topics-h">${t('session.topics')}</h2>
                <ul class="chips">
                  ${session.action_lines.map((c) => html`<li class="chip"><a href=${`/?day=all&action_line=${c}`}>${c} · ${t(`al.${c}`)}</a></li>`)}
                  ${session.sdgs.map((n) => html`<li class="chip chip-sdg"><a href=${`/?day=all&sdg=${n}`}>${t('session.sdg', { n })} · ${t(`sdg.${n}`)}</a></li>`)}
                </ul>
              </section>`
            : null}
        </div>
        <aside class="session-aside card" aria-label=${t('session.practical')}>
          <dl class="facts">
            <dt>${t('session.when')}</dt>
            <dd><span class="fact-day">${fmtDateLong(session.start_utc, zone)}</span><${Times} session=${session} /></dd>
            <dt>${t('session.where')}</dt>
            <dd>${session.room.name}</dd>
            <dt>${t('session.languages')}</dt>
            <dd>${session.languages.map(languageName).join(', ')}</dd>
            ${session.capacity
              ? html`<dt>${t('session.seats')}</dt>
                  <dd>${t('session.seats_taken', { taken: formatNumber(session.seats_taken), capacity: formatNumber(session.capacity) })}${session.waitlisted ? ` · ${t('session.waitlist_count', { count: session.waitlisted })}` : ''}</dd>`
              : null}
          </dl>
          <${JoinBox} session=${session} user=${user} />
          <div class="aside-actions">
            <${StarButton} session=${session} />
            ${signup !== undefined || !user ? html`<${SignupBox} session=${session} user=${user} signup=${signup} onChange=${setSignup} />` : null}
          </div>
        </aside>
      </div>
    <//>
  `;
}
