// Chat: a log that screen readers follow politely, plain text only (rendered as
// text nodes, never as HTML), resume after reconnects, slow mode and lock shown.
import { errorText, formatNumber, t } from '../core/i18n.js';
import { html, useEffect, useRef, useState } from '../core/preact.js';
import { fmtTime, viewerZone } from '../core/time.js';
import { useId } from '../core/ui.js';

function Message({ message, moderator, onDelete, onPin, onMute, onBan, you }) {
  const mine = you && message.author.public_id === you.public_id;
  return html`
    <li class=${`chat-message${mine ? ' chat-mine' : ''}`} data-seq=${message.seq}>
      <div class="chat-head">
        <span class="chat-author">${message.author.name}</span>
        ${message.author.role && message.author.role !== 'participant' ? html`<span class="role-tag">${t(`live.role_${message.author.role}`)}</span>` : null}
        <time class="chat-time" datetime=${message.at}>${fmtTime(message.at, viewerZone())}</time>
      </div>
      <p class="chat-text">${message.text}</p>
      ${moderator && !mine
        ? html`<div class="chat-actions">
            <button type="button" class="link-button" onClick=${() => onDelete(message)} aria-label=${t('mod.delete_message', { name: message.author.name })}>${t('common.delete')}</button>
            <button type="button" class="link-button" onClick=${() => onPin(message)}>${t('mod.pin')}</button>
            <button type="button" class="link-button" onClick=${() => onMute(message.author)}>${t('mod.mute')}</button>
            <button type="button" class="link-button danger" onClick=${() => onBan(message.author)}>${t('mod.ban')}</button>
          </div>`
        : moderator
          ? html`<div class="chat-actions">
              <button type="button" class="link-button" onClick=${() => onDelete(message)} aria-label=${t('mod.delete_message', { name: message.author.name })}>${t('common.delete')}</button>
              <button type="button" class="link-button" onClick=${() => onPin(message)}>${t('mod.pin')}</button>
            </div>`
          : null}
    </li>
  `;
}

export function Chat({ live, state, moderator = false, actions = {} }) {
  const id = useId('chat');
  const [text, setText] = useState('');
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const list = useRef(null);
  const stick = useRef(true);
  const { messages, settings, you, mutedUntil, limits, status } = state;
  // Follow the newest message unless the reader scrolled up to read older ones.
  useEffect(() => {
    const el = list.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [messages.length]);
  const muted = mutedUntil && Date.parse(mutedUntil) > Date.now();
  const closedForMe = (settings.locked && !moderator) || muted;
  const send = async (e) => {
    e.preventDefault();
    const body = text.trim();
    if (!body) return;
    setBusy(true);
    setFailure(null);
    try {
      await live.request('chat:send', { text: body });
      setText('');
    } catch (err) {
      setFailure(err);
    } finally {
      setBusy(false);
    }
  };
  const max = limits?.chat_max_chars || 2000;
  return html`
    <section class="chat" aria-labelledby=${`${id}-h`}>
      <h2 id=${`${id}-h`} class="visually-hidden">${t('live.chat')}</h2>
      ${settings.pinned
        ? html`<div class="pinned" data-pinned=${settings.pinned.seq}>
            <span class="pinned-label">${t('live.pinned')}</span>
            <span><strong>${settings.pinned.author?.name}</strong>: ${settings.pinned.text}</span>
            ${moderator ? html`<button type="button" class="link-button" onClick=${actions.unpin}>${t('mod.unpin')}</button>` : null}
          </div>`
        : null}
      ${state.recovered === false ? html`<p class="chat-note">${t('live.history_reloaded')}</p>` : null}
      <div
        class="chat-log"
        ref=${list}
        role="log"
        aria-live="polite"
        aria-relevant="additions"
        aria-label=${t('live.chat_log')}
        tabindex="0"
        onScroll=${(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
      <ol class="chat-list">
        ${messages.length === 0 ? html`<li class="chat-empty">${t('live.chat_empty')}</li>` : null}
        ${messages.map(
          (m) => html`<${Message}
            key=${m.seq}
            message=${m}
            you=${you}
            moderator=${moderator}
            onDelete=${actions.remove}
            onPin=${actions.pin}
            onMute=${actions.mute}
            onBan=${actions.ban}
          />`,
        )}
      </ol>
      </div>
      <form class="chat-form" onSubmit=${send}>
        ${settings.locked ? html`<p class="chat-note" role="status">${t('live.chat_locked')}</p>` : null}
        ${muted ? html`<p class="chat-note" role="status">${t('live.muted_until', { time: fmtTime(mutedUntil, viewerZone()) })}</p>` : null}
        ${settings.slow_mode_seconds ? html`<p class="chat-note">${t('live.slow_mode', { count: settings.slow_mode_seconds })}</p>` : null}
        <label for=${`${id}-input`} class="visually-hidden">${t('live.message')}</label>
        <div class="chat-input-row">
          <textarea
            id=${`${id}-input`}
            rows="2"
            maxlength=${max}
            value=${text}
            disabled=${closedForMe || status !== 'open'}
            placeholder=${t('live.message_placeholder')}
            onInput=${(e) => setText(e.target.value)}
            onKeyDown=${(e) => {
              if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) send(e);
            }}
            aria-describedby=${`${id}-count`}
          ></textarea>
          <button type="submit" class="button button-primary" disabled=${busy || closedForMe || !text.trim() || status !== 'open'}>${t('live.send')}</button>
        </div>
        <p class="hint chat-count" id=${`${id}-count`}>${t('live.chars_left', { count: formatNumber(max - text.length) })}</p>
        ${failure ? html`<p class="field-error" role="alert">${errorText(failure)}</p>` : null}
      </form>
    </section>
  `;
}
