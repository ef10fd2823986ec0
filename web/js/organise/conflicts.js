// Conflicts as the server names them (409 details, GET /conflicts, import reports).
import { t } from '../core/i18n.js';
import { html } from '../core/preact.js';
import { fmtDateTime } from '../core/time.js';

export function conflictText(conflict) {
  const key = `conflict.${conflict.kind}`;
  return ['room_overlap', 'person_overlap', 'outside_phases', 'end_before_start'].includes(conflict.kind)
    ? t(key)
    : conflict.message;
}

export function ConflictList({ conflicts, eventZone, onOpen }) {
  return html`
    <ul class="conflicts">
      ${conflicts.map(
        (c) => html`
          <li class="conflict">
            <strong>${conflictText(c)}</strong>
            ${c.sessions?.length
              ? html`<ul>
                  ${c.sessions.map(
                    (s) => html`<li>
                      ${onOpen
                        ? html`<button type="button" class="link-button" onClick=${() => onOpen(s.id)}>${s.title}</button>`
                        : html`<a href=${`/sessions/${s.id}`}>${s.title}</a>`}
                      <span class="muted"> · ${fmtDateTime(s.start_utc, eventZone)}–${fmtDateTime(s.end_utc, eventZone).split(' ').pop()}</span>
                    </li>`,
                  )}
                </ul>`
              : null}
          </li>
        `,
      )}
    </ul>
  `;
}
