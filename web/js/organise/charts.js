// Charts as inline SVG, no library: horizontal bars and 100 % stacked bars. Each
// has a text alternative (a table a click away) and colours that keep 3:1 against
// white, with labels that do not rely on colour.
import { formatNumber, t } from '../core/i18n.js';
import { html } from '../core/preact.js';

function DataTable({ caption, columns, rows }) {
  return html`
    <details class="chart-table">
      <summary>${t('chart.as_table')}</summary>
      <div class="table-wrap">
        <table class="table">
          <caption class="visually-hidden">${caption}</caption>
          <thead><tr>${columns.map((c, i) => html`<th scope="col" class=${i ? 'num' : ''}>${c}</th>`)}</tr></thead>
          <tbody>${rows.map((r) => html`<tr>${r.map((cell, i) => (i ? html`<td class="num">${cell}</td>` : html`<th scope="row">${cell}</th>`))}</tr>`)}</tbody>
        </table>
      </div>
    </details>
  `;
}

// Labels and values are text beside each bar (readable, translatable, zoomable);
// only the bars are SVG, mirrored by CSS in right-to-left pages.
function Bar({ segments }) {
  let x = 0;
  return html`
    <svg class="bar-svg" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
      <rect class="bar-bg" x="0" y="0" width="100" height="10"></rect>
      ${segments.map((seg) => {
        const rect = html`<rect x=${x} y="0" width=${Math.max(0, seg.width)} height="10" fill=${seg.color} class=${seg.color ? '' : 'bar'}></rect>`;
        x += seg.width;
        return rect;
      })}
    </svg>
  `;
}

// One value per row: [{label, value}], drawn against the largest.
export function BarChart({ title, rows, format = (v) => formatNumber(v) }) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  return html`
    <figure class="chart">
      <figcaption>${title}</figcaption>
      <ul class="bars">
        ${rows.map(
          (r) => html`<li class="bar-row">
            <span class="bar-label">${r.label}</span>
            <${Bar} segments=${[{ width: (r.value / max) * 100 }]} />
            <span class="bar-value">${format(r.value)}</span>
          </li>`,
        )}
      </ul>
      <${DataTable} caption=${title} columns=${[t('chart.item'), t('chart.value')]} rows=${rows.map((r) => [r.label, format(r.value)])} />
    </figure>
  `;
}

// Each row split by categories, as shares of its total: [{label, parts: {key: n}}].
// The figure beside each bar is the share of the first category (e.g. women).
export function StackedChart({ title, rows, keys, names, colors }) {
  const total = (r) => keys.reduce((sum, k) => sum + (r.parts[k] || 0), 0);
  return html`
    <figure class="chart">
      <figcaption>${title}</figcaption>
      <ul class="legend">
        ${keys.map((k) => html`<li><svg class="swatch" viewBox="0 0 10 10" aria-hidden="true" focusable="false"><rect width="10" height="10" fill=${colors[k]}></rect></svg>${names[k]}</li>`)}
      </ul>
      <ul class="bars">
        ${rows.map((r) => {
          const sum = total(r);
          return html`<li class="bar-row">
            <span class="bar-label">${r.label}</span>
            <${Bar} segments=${keys.map((k) => ({ width: sum ? ((r.parts[k] || 0) / sum) * 100 : 0, color: colors[k] }))} />
            <span class="bar-value">${sum ? t('chart.share_of', { share: formatNumber((r.parts[keys[0]] || 0) / sum, { style: 'percent' }), name: names[keys[0]] }) : '–'}</span>
          </li>`;
        })}
      </ul>
      <${DataTable}
        caption=${title}
        columns=${[t('chart.item'), ...keys.map((k) => names[k]), t('chart.total')]}
        rows=${rows.map((r) => [r.label, ...keys.map((k) => formatNumber(r.parts[k] || 0)), formatNumber(total(r))])}
      />
    </figure>
  `;
}
