// My schedule: the sessions I starred or signed up for, in my zone.
import { api } from '../core/api.js';
import { authStore } from '../core/auth.js';
import { t } from '../core/i18n.js';
import { html } from '../core/preact.js';
import { eventDay } from '../core/programme.js';
import { here } from '../core/router.js';
import { useStore } from '../core/store.js';
import { clockStore, fmtDayKey } from '../core/time.js';
import { ErrorNotice, Loading, Notice, Page, useAsync } from '../core/ui.js';
import { ZonePicker } from '../core/zone-picker.js';
import { CalendarFeed } from './calendar-feed.js';
import { SessionCard } from './session-parts.js';

export default function SchedulePage() {
  const { user, ready, starred } = useStore(authStore);
  const { now } = useStore(clockStore);
  const items = useAsync(() => (user ? api('/me/schedule') : Promise.resolve([])), [user?.id, starred.size]);
  if (!ready) return html`<${Page} title=${t('schedule.title')}><${Loading} /><//>`;
  if (!user) {
    return html`<${Page} title=${t('schedule.title')}>
      <${Notice}>${t('schedule.login')} <a href=${`/login?next=${encodeURIComponent(here())}`}>${t('nav.login')}</a><//>
    <//>`;
  }
  const list = (items.data || []).filter((i) => i.starred || (i.signup && i.signup !== 'cancelled'));
  const groups = [];
  for (const item of list) {
    const day = eventDay(item.session);
    const last = groups[groups.length - 1];
    if (last && last.day === day) last.items.push(item);
    else groups.push({ day, items: [item] });
  }
  return html`
    <${Page} title=${t('schedule.title')} subtitle=${t('schedule.subtitle')} actions=${html`<${ZonePicker} />`} wide=${true}>
      <${CalendarFeed} />
      ${items.error ? html`<${ErrorNotice} error=${items.error} />` : null}
      ${items.loading && !items.data ? html`<${Loading} />` : null}
      ${items.data && list.length === 0 ? html`<div class="empty"><p>${t('schedule.empty')}</p><p><a href="/">${t('schedule.browse')}</a></p></div>` : null}
      ${groups.map(
        (group) => html`
          <section class="day-group" aria-labelledby=${`dh-${group.day}`}>
            <h2 id=${`dh-${group.day}`} class="day-heading">${fmtDayKey(group.day, { weekday: 'long', day: 'numeric', month: 'long' })}</h2>
            <div class="card-list">
              ${group.items.map(
                (item) => html`
                  <div class="schedule-item">
                    <${SessionCard} session=${item.session} now=${now} />
                    ${item.signup === 'confirmed' ? html`<p class="signup-status ok">${t('signup.confirmed')}</p>` : null}
                    ${item.signup === 'waitlisted' ? html`<p class="signup-status wait">${t('signup.waitlisted')}</p>` : null}
                  </div>
                `,
              )}
            </div>
          </section>
        `,
      )}
    <//>
  `;
}
