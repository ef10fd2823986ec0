// The personal calendar feed: a secret URL a calendar app subscribes to, made on
// first use, replaceable (the old one stops working) and revocable.
import { api } from '../core/api.js';
import { errorText, t } from '../core/i18n.js';
import { html, useState } from '../core/preact.js';
import { CopyField, Notice } from '../core/ui.js';

export function CalendarFeed() {
  const [feed, setFeed] = useState(null);
  const [state, setState] = useState({ busy: false, error: null, note: null });
  const run = async (work, note = null) => {
    setState({ busy: true, error: null, note: null });
    try {
      setFeed(await work());
      setState({ busy: false, error: null, note });
    } catch (err) {
      setState({ busy: false, error: err, note: null });
    }
  };
  const show = () => run(() => api('/me/calendar'));
  const rotate = () => run(() => api('/me/calendar/rotate', { method: 'POST' }), t('calendar.rotated'));
  const revoke = () =>
    run(async () => {
      await api('/me/calendar', { method: 'DELETE' });
      return null;
    }, t('calendar.revoked'));
  return html`
    <section class="card calendar-feed" aria-labelledby="cal-h">
      <h2 id="cal-h">${t('calendar.title')}</h2>
      <p>${t('calendar.text')}</p>
      ${feed
        ? html`
            <${CopyField} id="cal-url" label=${t('calendar.url')} value=${feed.url} />
            <p class="hint">${t('calendar.secret')}</p>
            <div class="button-row">
              <a class="button" href=${feed.webcal_url}>${t('calendar.open_app')}</a>
              <button type="button" class="button button-quiet" disabled=${state.busy} onClick=${rotate}>${t('calendar.rotate')}</button>
              <button type="button" class="button button-quiet" disabled=${state.busy} onClick=${revoke}>${t('calendar.revoke')}</button>
            </div>
          `
        : html`<button type="button" class="button" disabled=${state.busy} onClick=${show}>${t('calendar.show')}</button>`}
      ${state.note ? html`<${Notice} kind="success">${state.note}<//>` : null}
      ${state.error ? html`<${Notice} kind="error">${errorText(state.error)}<//>` : null}
    </section>
  `;
}
