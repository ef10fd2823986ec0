// Everything the programme can be taken out as: calendars, frab schedules, report spreadsheets.
import { t } from '../core/i18n.js';
import { html } from '../core/preact.js';

const GROUPS = [
  {
    key: 'exports.calendars',
    links: [['/api/v1/agenda.ics', 'exports.agenda_ics']],
  },
  {
    key: 'exports.schedules',
    links: [
      ['/api/v1/schedule.json', 'exports.schedule_json'],
      ['/api/v1/schedule.xml', 'exports.schedule_xml'],
    ],
  },
  {
    key: 'exports.reports',
    links: [
      ['/api/v1/reports/speakers?format=csv', 'exports.speakers_csv'],
      ['/api/v1/reports/sessions-without-women?format=csv', 'exports.no_women_csv'],
      ['/api/v1/reports/sessions-without-moderator?format=csv', 'exports.no_moderator_csv'],
      ['/api/v1/reports/tags?format=csv', 'exports.tags_csv'],
    ],
  },
];

export default function Exports() {
  return html`
    <div class="exports">
      <p>${t('exports.intro')}</p>
      <div class="export-grid">
        ${GROUPS.map(
          (group) => html`
            <section class="card export-card" aria-labelledby=${`ex-${group.key}`}>
              <h2 id=${`ex-${group.key}`}>${t(group.key)}</h2>
              <ul>
                ${group.links.map(([href, key]) => html`<li><a href=${href} download>${t(key)}</a></li>`)}
              </ul>
            </section>
          `,
        )}
      </div>
    </div>
  `;
}
