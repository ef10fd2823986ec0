// "Times in New York (GMT-5) · Change": the viewer may pick another zone than the browser's.
import { t } from './i18n.js';
import { html, useState } from './preact.js';
import { useStore } from './store.js';
import { allZones, browserZone, setViewerZone, zoneLabel, zoneStore } from './time.js';
import { useId } from './ui.js';

export function ZonePicker() {
  const { zone } = useStore(zoneStore);
  const [open, setOpen] = useState(false);
  const id = useId('zone');
  return html`
    <div class="zone-picker">
      <span>${t('zone.shown_in', { zone: zoneLabel(zone) })}</span>
      <button type="button" class="link-button" aria-expanded=${open ? 'true' : 'false'} aria-controls=${id} onClick=${() => setOpen(!open)}>
        ${t('zone.change')}
      </button>
      ${open
        ? html`
            <div id=${id} class="zone-form">
              <label for=${`${id}-select`}>${t('zone.label')}</label>
              <select
                id=${`${id}-select`}
                value=${zone}
                onChange=${(e) => {
                  setViewerZone(e.target.value);
                  setOpen(false);
                }}
              >
                ${allZones().map((z) => html`<option value=${z}>${z.replace(/_/g, ' ')}</option>`)}
              </select>
              ${zone !== browserZone()
                ? html`<button type="button" class="link-button" onClick=${() => setViewerZone(null)}>
                    ${t('zone.reset', { zone: browserZone().replace(/_/g, ' ') })}
                  </button>`
                : null}
            </div>
          `
        : null}
    </div>
  `;
}
