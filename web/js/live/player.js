// The room's stream: the built-in relay or an external HLS URL through hls.js
// (native HLS where the browser has it), an embed, or a media server's page.
// Several language channels (floor + interpretation): the viewer picks one.
import { api } from '../core/api.js';
import { errorText, t } from '../core/i18n.js';
import { html, useEffect, useRef, useState } from '../core/preact.js';
import { Loading, Notice, useId } from '../core/ui.js';

const CHANNEL_KEY = (id) => `forumlive.channel.${id}`;

async function loadStream(sessionId, token) {
  return api(`/sessions/${sessionId}/stream`, { headers: { Authorization: `Bearer ${token}` } });
}

function HlsVideo({ url, label }) {
  const video = useRef(null);
  const [problem, setProblem] = useState(null);
  const [muted, setMuted] = useState(true);
  useEffect(() => {
    let hls = null;
    let cancelled = false;
    setProblem(null);
    const el = video.current;
    // Muted autoplay; a play() cut short (a new load, data not there yet) is tried again
    // once the video can play, until it has played once: a viewer's pause stays a pause.
    let played = false;
    const start = () => { if (!played && el.paused) el.play().catch(() => null); };
    const onPlaying = () => { played = true; };
    el.addEventListener('playing', onPlaying);
    el.addEventListener('canplay', start);
    (async () => {
      const { default: Hls } = await import('../../vendor/hls.min.mjs');
      if (cancelled) return;
      if (Hls.isSupported()) {
        let manifestLoaded = false;
        hls = new Hls({ liveSyncDurationCount: 3, enableWorker: true, lowLatencyMode: false });
        hls.on(Hls.Events.ERROR, (_event, data) => {
          if (!data.fatal) return;
          if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
            setProblem('network');
            // The stream may come back. Until a first playlist has loaded (asked for a
            // moment before the relay had one, say) startLoad() has nothing to resume:
            // ask for the playlist again instead.
            setTimeout(() => {
              if (!hls) return;
              if (manifestLoaded) hls.startLoad();
              else hls.loadSource(url);
            }, 3000);
          } else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
            hls.recoverMediaError();
          } else {
            setProblem('fatal');
          }
        });
        hls.on(Hls.Events.FRAG_LOADED, () => setProblem(null));
        hls.on(Hls.Events.MANIFEST_PARSED, () => { manifestLoaded = true; start(); });
        hls.on(Hls.Events.FRAG_BUFFERED, start);
        // hls.js's order: the media element first, the source once it is attached.
        hls.once(Hls.Events.MEDIA_ATTACHED, () => hls && hls.loadSource(url));
        hls.attachMedia(el);
      } else if (el.canPlayType('application/vnd.apple.mpegurl')) {
        el.src = url;
        el.addEventListener('loadedmetadata', start, { once: true });
      } else {
        setProblem('unsupported');
      }
    })().catch(() => setProblem('fatal'));
    return () => {
      cancelled = true;
      el.removeEventListener('playing', onPlaying);
      el.removeEventListener('canplay', start);
      if (hls) hls.destroy();
      hls = null;
      el.removeAttribute('src');
    };
  }, [url]);
  return html`
    <div class="player-frame">
      <video ref=${video} class="player-video" controls playsinline autoplay muted=${muted} aria-label=${label} data-player="video"
        onVolumeChange=${(e) => setMuted(e.target.muted)}></video>
      ${muted
        ? html`<button type="button" class="button unmute" onClick=${() => { video.current.muted = false; setMuted(false); video.current.play().catch(() => null); }}>
            ${t('player.unmute')}
          </button>`
        : null}
      ${problem ? html`<p class="player-problem" role="status">${t(`player.problem_${problem}`)}</p>` : null}
    </div>
  `;
}

function Frame({ url, title }) {
  return html`
    <div class="player-frame">
      <iframe class="player-iframe" src=${url} title=${title} allow="autoplay; fullscreen; camera; microphone; display-capture" referrerpolicy="no-referrer"></iframe>
    </div>
    <p class="hint"><a href=${url} target="_blank" rel="noopener">${t('player.open_new_window')}</a></p>
  `;
}

export function Player({ sessionId, grant, health, title }) {
  const [stream, setStream] = useState(null);
  const [error, setError] = useState(null);
  const [channel, setChannel] = useState(() => sessionStorage.getItem(CHANNEL_KEY(sessionId)) || '');
  const pickerId = useId('channel');
  useEffect(() => {
    let timer = null;
    let stop = false;
    const load = async () => {
      try {
        const out = await loadStream(sessionId, grant.token);
        if (stop) return;
        setStream(out);
        setError(null);
        // Signed playlist URLs expire: ask again a minute before.
        if (out.playback_expires_at) {
          const wait = Math.max(30_000, Date.parse(out.playback_expires_at) - Date.now() - 60_000);
          timer = setTimeout(load, wait);
        }
      } catch (err) {
        if (!stop) setError(err);
      }
    };
    load();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [sessionId, grant.token]);
  if (error) return html`<div class="player-empty"><${Notice} kind="warning">${errorText(error)}<//></div>`;
  if (!stream) return html`<div class="player-empty"><${Loading} label=${t('player.loading')} /></div>`;
  const channels = stream.channels || [];
  const current = channels.find((c) => c.key === channel) || channels[0];
  const choose = (key) => {
    sessionStorage.setItem(CHANNEL_KEY(sessionId), key);
    setChannel(key);
  };
  const status = current ? health[current.key] || current.status : null;
  let body = null;
  if (['relay', 'hls_url'].includes(stream.provider) && current?.url) {
    body = html`<${HlsVideo} key=${current.url} url=${current.url} label=${t('player.video_label', { title, channel: current.label })} />`;
  } else if (stream.provider === 'embed' && current?.url) {
    body = html`<${Frame} url=${current.url} title=${t('player.video_label', { title, channel: current.label })} />`;
  } else if (stream.media?.provider === 'jitsi') {
    body = html`<${Frame} url=${stream.media.url} title=${title} />`;
  } else if (stream.media?.provider === 'bigbluebutton') {
    body = html`<${Frame} url=${stream.media.join_url} title=${title} />`;
  } else if (stream.media?.provider === 'mediamtx') {
    const url = `${stream.media.url.replace(/\/$/, '')}/${stream.media.path}/index.m3u8?jwt=${encodeURIComponent(stream.media.token)}`;
    body = html`<${HlsVideo} url=${url} label=${title} />`;
  } else if (stream.media?.provider === 'livekit') {
    const url = `https://meet.livekit.io/custom?liveKitUrl=${encodeURIComponent(stream.media.url)}&token=${encodeURIComponent(stream.media.token)}`;
    body = html`<div class="player-empty"><a class="button button-primary" href=${url} target="_blank" rel="noopener">${t('player.open_meeting')}</a></div>`;
  } else {
    body = html`<div class="player-empty"><p>${t('player.no_stream')}</p></div>`;
  }
  return html`
    <div class="player">
      ${body}
      <div class="player-bar">
        ${channels.length > 1
          ? html`<div class="channel-picker">
              <label for=${pickerId}>${t('player.channel')}</label>
              <select id=${pickerId} value=${current.key} onChange=${(e) => choose(e.target.value)} data-channel-picker>
                ${channels.map((c) => html`<option value=${c.key}>${c.label}</option>`)}
              </select>
            </div>`
          : null}
        ${status
          ? html`<span class=${`health health-${status}`} data-health=${status}>${t(`player.health_${status}`)}</span>`
          : null}
        ${!stream.on_air && ['relay', 'hls_url', 'embed'].includes(stream.provider) ? html`<span class="hint">${t('player.not_on_air')}</span>` : null}
      </div>
    </div>
  `;
}
