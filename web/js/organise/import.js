// Import a CSV of sessions or a frab/pretalx JSON schedule: a dry run first
// shows every row error and the conflicts it would create; then import for real.
import { ApiError, apiUrl } from '../core/api.js';
import { errorText, formatNumber, t } from '../core/i18n.js';
import { html, useState } from '../core/preact.js';
import { loadProgramme } from '../core/programme.js';
import { Field, Notice, useAsync } from '../core/ui.js';
import { ConflictList } from './conflicts.js';

async function send(file, text, dryRun) {
  const frab = file.name.toLowerCase().endsWith('.json');
  const response = await fetch(apiUrl(frab ? '/import/frab' : '/import/csv', { dry_run: dryRun ? 'true' : 'false' }), {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': frab ? 'application/json' : 'text/csv', Accept: 'application/json' },
    body: text,
  });
  const data = await response.json().catch(() => null);
  if (response.ok) return data;
  const error = data?.error || {};
  // A refused real import carries the full report, with every row error.
  if (error.details && typeof error.details === 'object' && 'errors' in error.details) return error.details;
  throw new ApiError(response.status, error.code || `http_${response.status}`, error.message || response.statusText, error.details);
}

function Report({ report, eventZone }) {
  const counts = [
    ['import.rows', report.rows],
    ['import.created', report.created],
    ['import.updated', report.updated],
    ['import.people_created', report.people_created],
    ['import.rooms_created', report.rooms_created],
  ];
  return html`
    <section class="card import-report" aria-labelledby="ir-h">
      <h2 id="ir-h">${report.dry_run ? t('import.preview') : t('import.result')}</h2>
      ${report.ok
        ? html`<${Notice} kind="success">${report.dry_run ? t('import.ready') : t('import.done')}<//>`
        : html`<${Notice} kind="error">${t('import.problems', { count: report.errors.length })}<//>`}
      <dl class="stat-row">
        ${counts.map(([key, n]) => html`<div class="stat"><dt>${t(key)}</dt><dd>${formatNumber(n)}</dd></div>`)}
      </dl>
      ${report.errors.length
        ? html`<div class="table-wrap"><table class="table">
            <caption>${t('import.errors_caption')}</caption>
            <thead><tr><th scope="col">${t('import.row')}</th><th scope="col">${t('import.column')}</th><th scope="col">${t('import.message')}</th></tr></thead>
            <tbody>${report.errors.map((e) => html`<tr><td>${e.row}</td><td><code>${e.column}</code></td><td>${e.message}</td></tr>`)}</tbody>
          </table></div>`
        : null}
      ${report.conflicts.length
        ? html`<h3>${t('import.conflicts', { count: report.conflicts.length })}</h3><${ConflictList} conflicts=${report.conflicts} eventZone=${eventZone} />`
        : null}
    </section>
  `;
}

export default function ImportSection() {
  const programme = useAsync(() => loadProgramme(), []);
  const [file, setFile] = useState(null);
  const [report, setReport] = useState(null);
  const [state, setState] = useState({ busy: false, error: null });
  const run = async (dryRun) => {
    if (!file) return;
    setState({ busy: true, error: null });
    try {
      const text = await file.text();
      setReport(await send(file, text, dryRun));
      setState({ busy: false, error: null });
    } catch (err) {
      setReport(null);
      setState({ busy: false, error: err });
    }
  };
  return html`
    <div class="import">
      <p>${t('import.intro')}</p>
      <form class="card form" onSubmit=${(e) => { e.preventDefault(); run(true); }}>
        <${Field} id="import-file" label=${t('import.file')} hint=${t('import.file_hint')}>
          ${(aria) => html`<input ...${aria} type="file" accept=".csv,.json,text/csv,application/json" onChange=${(e) => { setFile(e.target.files[0] || null); setReport(null); }} />`}
        <//>
        <div class="button-row">
          <button type="submit" class="button" disabled=${!file || state.busy}>${t('import.check')}</button>
          <button type="button" class="button button-primary" disabled=${!report || !report.ok || !report.dry_run || state.busy} onClick=${() => run(false)}>
            ${t('import.run')}
          </button>
        </div>
      </form>
      ${state.error ? html`<${Notice} kind="error">${errorText(state.error)}<//>` : null}
      ${report ? html`<${Report} report=${report} eventZone=${programme.data?.event.timezone || 'UTC'} />` : null}
    </div>
  `;
}
