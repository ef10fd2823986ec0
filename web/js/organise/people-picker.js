// Choose people for a panel: search the directory, add, remove. Plain buttons
// and a labelled search field, so it works with a keyboard and a screen reader.
import { api } from '../core/api.js';
import { t } from '../core/i18n.js';
import { html, useEffect, useRef, useState } from '../core/preact.js';
import { useId } from '../core/ui.js';

export function PeoplePicker({ label, people, onChange }) {
  const id = useId('pp');
  const [query, setQuery] = useState('');
  const [found, setFound] = useState([]);
  const timer = useRef(null);
  useEffect(() => {
    clearTimeout(timer.current);
    if (query.trim().length < 2) {
      setFound([]);
      return undefined;
    }
    const controller = new AbortController();
    timer.current = setTimeout(() => {
      api('/people', { query: { q: query.trim(), limit: 8 }, signal: controller.signal })
        .then((page) => setFound(page.items))
        .catch(() => setFound([]));
    }, 250);
    return () => controller.abort();
  }, [query]);
  const chosen = new Set(people.map((p) => p.id));
  return html`
    <fieldset class="people-picker">
      <legend>${label}</legend>
      ${people.length
        ? html`<ul class="picked">
            ${people.map(
              (p) => html`<li class="chip">
                <span>${p.name}</span>
                <button type="button" class="chip-remove" aria-label=${t('picker.remove', { name: p.name })} onClick=${() => onChange(people.filter((x) => x.id !== p.id))}>×</button>
              </li>`,
            )}
          </ul>`
        : html`<p class="hint">${t('picker.nobody')}</p>`}
      <label for=${id} class="visually-hidden">${t('picker.search', { label })}</label>
      <input id=${id} type="search" placeholder=${t('picker.placeholder')} value=${query} onInput=${(e) => setQuery(e.target.value)} autocomplete="off" />
      ${found.length
        ? html`<ul class="picker-results" aria-label=${t('picker.results')}>
            ${found.map(
              (p) => html`<li>
                <button type="button" class="link-button" disabled=${chosen.has(p.id)} onClick=${() => {
                  onChange([...people, p]);
                  setQuery('');
                }}>${t('picker.add', { name: p.name })}</button>
                <span class="person-meta">${p.organisation}</span>
              </li>`,
            )}
          </ul>`
        : null}
    </fieldset>
  `;
}
