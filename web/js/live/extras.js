// Around the player: live captions (an ARIA live region), reactions, raising a hand.
import { errorText, formatNumber, t } from '../core/i18n.js';
import { html, useEffect, useState } from '../core/preact.js';

export const REACTIONS = [
  ['clap', '👏'],
  ['like', '👍'],
  ['love', '❤️'],
  ['laugh', '😄'],
  ['wow', '😮'],
  ['celebrate', '🎉'],
  ['thanks', '🙏'],
  ['think', '🤔'],
];

export function Captions({ state }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  // The last lines, kept a little longer than their own duration so they can be read.
  const lines = state.captions.filter((c) => now - Date.parse(c.at) < Math.max(8000, (c.duration_ms || 0) + 4000)).slice(-3);
  return html`
    <div class="captions" role="region" aria-label=${t('live.captions')}>
      <div class="captions-lines" aria-live="polite" aria-atomic="false" data-captions>
        ${lines.map((c) => html`<p key=${c.id} lang=${c.lang || undefined} class="caption-line">${c.text}</p>`)}
      </div>
      ${lines.length === 0 ? html`<p class="captions-idle">${t('live.captions_idle')}</p>` : null}
    </div>
  `;
}

export function Reactions({ live, state }) {
  const [failure, setFailure] = useState(null);
  const fresh = Date.now() - state.reactions.at < 2500;
  const send = async (kind) => {
    setFailure(null);
    try {
      await live.request('reaction:send', { kind });
    } catch (err) {
      setFailure(err);
    }
  };
  return html`
    <div class="reactions">
      <div class="reaction-buttons" role="group" aria-label=${t('live.reactions')}>
        ${REACTIONS.map(
          ([kind, emoji]) => html`<button type="button" class="reaction" onClick=${() => send(kind)} aria-label=${t(`reaction.${kind}`)} title=${t(`reaction.${kind}`)} disabled=${state.status !== 'open'}>
            <span aria-hidden="true">${emoji}</span>
            ${fresh && state.reactions.counts[kind] ? html`<span class="reaction-count">${formatNumber(state.reactions.counts[kind])}</span>` : null}
          </button>`,
        )}
      </div>
      ${failure ? html`<span class="field-error" role="alert">${errorText(failure)}</span>` : null}
    </div>
  `;
}

export function HandRaise({ live, state }) {
  const [failure, setFailure] = useState(null);
  const toggle = async () => {
    setFailure(null);
    const raise = !state.handRaised;
    try {
      const out = await live.request(raise ? 'hand:raise' : 'hand:lower', {});
      live.store.set({ handRaised: out.state === 'raised' });
    } catch (err) {
      setFailure(err);
    }
  };
  if (state.granted) return html`<p class="notice notice-success" role="status">${t('live.floor_granted')}</p>`;
  return html`
    <div class="hand">
      <button type="button" class=${`button${state.handRaised ? ' button-primary' : ''}`} aria-pressed=${state.handRaised ? 'true' : 'false'} onClick=${toggle} disabled=${state.status !== 'open'}>
        <span aria-hidden="true">✋</span> ${state.handRaised ? t('live.lower_hand') : t('live.raise_hand')}
      </button>
      ${failure ? html`<span class="field-error" role="alert">${errorText(failure)}</span>` : null}
    </div>
  `;
}
