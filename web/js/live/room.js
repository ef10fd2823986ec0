// The live room: the stream with its language channels and captions, and beside
// it chat, questions and polls, all over one /live connection.
import { api } from '../core/api.js';
import { authStore } from '../core/auth.js';
import { errorText, t } from '../core/i18n.js';
import { html, useEffect, useState } from '../core/preact.js';
import { here } from '../core/router.js';
import { useStore } from '../core/store.js';
import { fmtDateTime, untilText, viewerZone } from '../core/time.js';
import { Loading, Notice, Page, Tabs, useAsync } from '../core/ui.js';
import { Badge } from '../pages/session-parts.js';
import { Chat } from './chat.js';
import { createLive, joinToken } from './connection.js';
import { Captions, HandRaise, Reactions } from './extras.js';
import { Player } from './player.js';
import { Polls } from './polls.js';
import { QA } from './qa.js';

// Join, connect, and close the connection when the page goes away.
export function useLiveRoom(sessionId, user, role) {
  const [room, setRoom] = useState({ live: null, error: null });
  useEffect(() => {
    if (!user) return undefined;
    let live = null;
    let gone = false;
    joinToken(sessionId, { role }).then(
      (grant) => {
        if (gone) return;
        live = createLive(sessionId, grant);
        window.forumlive.live = live; // for the console and the browser tests
        setRoom({ live, error: null });
      },
      (error) => !gone && setRoom({ live: null, error }),
    );
    return () => {
      gone = true;
      live?.close();
    };
  }, [sessionId, user?.id, role]);
  return room;
}

export function ConnectionStatus({ state }) {
  if (state.status === 'open') return null;
  const key = { connecting: 'live.connecting', reconnecting: 'live.reconnecting', closed: 'live.closed' }[state.status];
  if (key) return html`<p class="connection-status" role="status">${t(key)}</p>`;
  return html`<${Notice} kind="error">${state.error ? errorText(state.error) : t('live.refused')}<//>`;
}

export function JoinRefused({ error, sessionId }) {
  const opens = error?.details?.opens_at;
  return html`
    <${Notice} kind=${error?.code === 'not_open_yet' ? 'info' : 'error'}>
      ${errorText(error)}
      ${opens ? html` ${t('live.opens_at', { when: untilText(Date.parse(opens) - Date.now()), time: fmtDateTime(opens, viewerZone()) })}` : null}
    <//>
    <p><a href=${`/sessions/${sessionId}`}>${t('live.back_to_session')}</a></p>
  `;
}

function Room({ session, live }) {
  const state = useStore(live.store);
  const [tab, setTab] = useState('chat');
  const liveSession = state.state ? { ...session, state: state.state.to } : session;
  const openPolls = state.polls.filter((p) => p.state === 'open' && state.myVotes[p.id] === undefined).length;
  const tabs = [
    { id: 'chat', label: t('live.chat') },
    { id: 'qa', label: t('live.qa') },
    { id: 'polls', label: openPolls ? t('live.polls_open', { count: openPolls }) : t('live.polls') },
  ];
  return html`
    <div class="room">
      <div class="room-head">
        <${Badge} session=${liveSession} now=${Date.now()} />
        <span class="presence" data-presence=${state.presence}>${t('live.watching', { count: state.presence })}</span>
        ${state.you?.role === 'moderator' ? html`<a class="button button-small" href=${`/moderate/${session.id}`}>${t('live.open_console')}</a>` : null}
      </div>
      <${ConnectionStatus} state=${state} />
      ${liveSession.state === 'ended' ? html`<${Notice}>${t('live.ended')}<//>` : null}
      <div class="room-layout">
        <div class="stage">
          <${Player} sessionId=${session.id} grant=${state.grant} health=${state.health} title=${session.title} />
          <${Captions} state=${state} />
          <div class="stage-tools">
            <${Reactions} live=${live} state=${state} />
            ${session.type.interactive ? html`<${HandRaise} live=${live} state=${state} />` : null}
          </div>
        </div>
        <aside class="side card">
          <${Tabs} label=${t('live.panels')} tabs=${tabs} selected=${tab} onSelect=${setTab} idPrefix="panel" />
          <div id="panel-panel" role="tabpanel" aria-labelledby=${`panel-${tab}`} class="side-panel">
            ${tab === 'chat' ? html`<${Chat} live=${live} state=${state} />` : null}
            ${tab === 'qa' ? html`<${QA} live=${live} state=${state} />` : null}
            ${tab === 'polls' ? html`<${Polls} live=${live} state=${state} />` : null}
          </div>
        </aside>
      </div>
    </div>
  `;
}

export default function RoomPage({ route }) {
  const sessionId = Number(route.params.id);
  const { user, ready } = useStore(authStore);
  const session = useAsync((signal) => api(`/sessions/${sessionId}`, { signal }), [sessionId]);
  const room = useLiveRoom(sessionId, user);
  const title = session.data?.title || t('live.title');
  if (!ready || (!session.data && !session.error)) return html`<${Page} title=${title}><${Loading} /><//>`;
  if (!user) {
    return html`<${Page} title=${title}><${Notice}>${t('login.needed')} <a href=${`/login?next=${encodeURIComponent(here())}`}>${t('nav.login')}</a><//><//>`;
  }
  if (session.error) return html`<${Page} title=${title}><${Notice} kind="error">${errorText(session.error)}<//><//>`;
  return html`
    <${Page} title=${title} subtitle=${`${session.data.room.name} · ${t('live.subtitle')}`} wide=${true}>
      ${room.error ? html`<${JoinRefused} error=${room.error} sessionId=${sessionId} />` : null}
      ${room.live ? html`<${Room} session=${session.data} live=${room.live} />` : !room.error ? html`<${Loading} label=${t('live.joining')} />` : null}
    <//>
  `;
}
