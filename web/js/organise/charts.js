// Charts as inline SVG, no library: horizontal bars, 100 % stacked bars and a curve over time. Each
// has a text alternative (a table a click away) and colours that keep 3:1 against
// white, with labels that do not rely on colour.
import { formatNumber, t } from '../core/i18n.js';
import { html } from '../core/preact.js';
import { useId } from '../core/ui.js';

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

// A count over time ([{at, value}], ISO instants, in order) as an area under a line,
// for the attendance curve. The SVG is an image with a title and a description (the
// peak in words); the figures are in the table below it. Time runs left to right in
// every language, as on a clock-face axis; labels are in the event's zone.
const W = 900;
const H = 240;
const PAD = { top: 12, right: 16, bottom: 30, left: 44 };

function niceMax(n) {
  if (n <= 5) return Math.max(1, n);
  const step = 10 ** Math.floor(Math.log10(n));
  return Math.ceil(n / step) * step;
}

export function TimeChart({ title, desc, points, timeLabel, valueLabel, formatTime }) {
  const id = useId('tc');
  const times = points.map((p) => Date.parse(p.at));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const top = niceMax(Math.max(0, ...points.map((p) => p.value)));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const x = (ms) => PAD.left + (t1 > t0 ? ((ms - t0) / (t1 - t0)) * innerW : innerW / 2);
  const y = (v) => PAD.top + innerH - (v / top) * innerH;
  const xy = points.map((p, i) => [x(times[i]), y(p.value)]);
  const line = xy.map(([px, py], i) => `${i ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`).join(' ');
  const base = y(0).toFixed(1);
  const area = xy.length ? `${line} L${xy[xy.length - 1][0].toFixed(1)},${base} L${xy[0][0].toFixed(1)},${base} Z` : '';
  const yTicks = [...new Set([0, Math.round(top / 2), top])];
  const xTicks = [...new Set([0, Math.floor((points.length - 1) / 2), points.length - 1])].filter((i) => i >= 0);
  return html`
    <figure class="chart time-chart">
      <figcaption>${title}</figcaption>
      <svg class="tc-svg" viewBox=${`0 0 ${W} ${H}`} role="img" aria-labelledby=${`${id}-t ${id}-d`} focusable="false">
        <title id=${`${id}-t`}>${title}</title>
        <desc id=${`${id}-d`}>${desc}</desc>
        ${yTicks.map(
          (v) => html`<g>
            <line class="tc-grid" x1=${PAD.left} x2=${W - PAD.right} y1=${y(v)} y2=${y(v)}></line>
            <text class="tc-axis" x=${PAD.left - 6} y=${y(v) + 4} text-anchor="end">${formatNumber(v)}</text>
          </g>`,
        )}
        ${xTicks.map(
          (i) => html`<text class="tc-axis" x=${xy[i][0]} y=${H - 8} text-anchor="middle">${formatTime(points[i].at)}</text>`,
        )}
        <path class="tc-area" d=${area}></path>
        <path class="tc-line" d=${line}></path>
        ${xy.map(([px, py]) => html`<circle class="tc-dot" cx=${px} cy=${py} r="3"></circle>`)}
      </svg>
      <${DataTable}
        caption=${title}
        columns=${[timeLabel, valueLabel]}
        rows=${points.map((p) => [formatTime(p.at), formatNumber(p.value)])}
      />
    </figure>
  `;
}
