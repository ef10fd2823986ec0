// Balance reports as charts: gender by track and by session type, the
// stakeholder mix, panels without women or without a moderator, topic shares;
// attendance from the live rooms: peak and unique viewers, and a session's curve.
import { api } from '../core/api.js';
import { formatNumber, refName, t } from '../core/i18n.js';
import { html, useState } from '../core/preact.js';
import { fmtDateTime, fmtTime } from '../core/time.js';
import { ErrorNotice, Loading, useAsync } from '../core/ui.js';
import { BarChart, StackedChart, TimeChart } from './charts.js';

const GENDERS = ['woman', 'man', 'non_binary', 'other', 'undeclared'];
// Distinct hues with 3:1 against white (non-text contrast), told apart by the legend too.
const GENDER_COLOURS = { woman: '#9c2f74', man: '#2b5f9e', non_binary: '#b45309', other: '#3f7d20', undeclared: '#6b7785' };
const GROUPS = ['government', 'private_sector', 'civil_society', 'academia', 'international_organisation', 'other'];

function genderNames() {
  return Object.fromEntries(GENDERS.map((g) => [g, g === 'undeclared' ? t('reports.undeclared') : t(`gender.${g}`)]));
}

function Stat({ label, value }) {
  return html`<div class="stat"><dt>${label}</dt><dd>${value}</dd></div>`;
}

function SessionTable({ caption, list, zone }) {
  if (!list.total) return html`<p class="muted">${t('reports.none')}</p>`;
  return html`
    <div class="table-wrap">
      <table class="table">
        <caption class="visually-hidden">${caption}</caption>
        <thead><tr><th scope="col">${t('editor.col_title')}</th><th scope="col">${t('filter.track')}</th><th scope="col">${t('editor.col_time', { zone })}</th><th scope="col" class="num">${t('session.speakers')}</th></tr></thead>
        <tbody>
          ${list.sessions.map(
            (s) => html`<tr>
              <td><a href=${`/sessions/${s.id}`}>${s.title}</a></td>
              <td>${s.high_level ? html`<strong>${refName('track', s.track, s.track_name)}</strong>` : refName('track', s.track, s.track_name)}</td>
              <td class="nowrap">${fmtDateTime(s.start_utc, zone)}</td>
              <td class="num">${formatNumber(s.speakers)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
  `;
}

// One session's curve: the peak of each sampling bucket, read from presence.
function AttendanceCurve({ sessionId, zone }) {
  const series = useAsync(() => api(`/sessions/${sessionId}/attendance`), [sessionId]);
  if (series.error) return html`<${ErrorNotice} error=${series.error} />`;
  if (!series.data) return html`<${Loading} />`;
  const s = series.data;
  const title = t('reports.attendance_chart', { title: s.title });
  if (!s.samples.length) return html`<p class="muted">${t('reports.attendance_no_curve')}</p>`;
  const desc = t('reports.attendance_desc', {
    peak: s.peak_viewers,
    time: s.peak_at ? fmtDateTime(s.peak_at, zone) : '–',
    unique: s.unique_viewers,
  });
  return html`
    <${TimeChart}
      title=${title}
      desc=${desc}
      points=${s.samples.map((p) => ({ at: p.at, value: p.viewers }))}
      timeLabel=${t('editor.col_time', { zone })}
      valueLabel=${t('reports.col_peak')}
      formatTime=${(iso) => fmtTime(iso, zone)}
    />
    <p class="hint">${desc}</p>
  `;
}

function Attendance({ report, zone }) {
  const busiest = report.sessions.reduce((best, s) => (!best || s.peak_viewers > best.peak_viewers ? s : best), null);
  const [chosen, setChosen] = useState(busiest ? busiest.id : null);
  return html`
    <section class="report-list attendance" aria-labelledby="att-h">
      <h2 id="att-h">${t('reports.attendance_title')}</h2>
      <p class="hint">${t('reports.attendance_hint', { seconds: report.bucket_seconds })}</p>
      ${!report.total
        ? html`<p class="muted">${t('reports.attendance_none')}</p>`
        : html`
            <div class="card chart-card">${chosen !== null ? html`<${AttendanceCurve} sessionId=${chosen} zone=${zone} />` : null}</div>
            <div class="table-wrap">
              <table class="table">
                <caption class="visually-hidden">${t('reports.attendance_title')}</caption>
                <thead>
                  <tr>
                    <th scope="col">${t('editor.col_title')}</th>
                    <th scope="col">${t('editor.col_time', { zone })}</th>
                    <th scope="col" class="num">${t('reports.col_peak')}</th>
                    <th scope="col">${t('reports.col_peak_at')}</th>
                    <th scope="col" class="num">${t('reports.col_unique')}</th>
                    <th scope="col"><span class="visually-hidden">${t('reports.show_curve')}</span></th>
                  </tr>
                </thead>
                <tbody>
                  ${report.sessions.map(
                    (s) => html`<tr>
                      <td><a href=${`/sessions/${s.id}`}>${s.title}</a></td>
                      <td class="nowrap">${fmtDateTime(s.start_utc, zone)}</td>
                      <td class="num">${formatNumber(s.peak_viewers)}</td>
                      <td class="nowrap">${s.peak_at ? fmtTime(s.peak_at, zone) : '–'}</td>
                      <td class="num">${formatNumber(s.unique_viewers)}</td>
                      <td>
                        <button
                          type="button"
                          class="button button-small"
                          aria-pressed=${chosen === s.id ? 'true' : 'false'}
                          aria-label=${t('reports.show_curve_named', { title: s.title })}
                          onClick=${() => setChosen(s.id)}
                        >
                          ${t('reports.show_curve')}
                        </button>
                      </td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            <p><a href="/api/v1/reports/attendance?format=csv" download>${t('reports.attendance_csv')}</a></p>
          `}
    </section>
  `;
}

export default function Reports() {
  const [count, setCount] = useState('slots');
  const data = useAsync(
    () =>
      Promise.all([
        api('/event'),
        api('/reports/speakers'),
        api('/reports/sessions-without-women'),
        api('/reports/sessions-without-moderator'),
        api('/reports/tags'),
        api('/reports/attendance'),
      ]).then(([event, speakers, noWomen, noModerator, tags, attendance]) => ({ event, speakers, noWomen, noModerator, tags, attendance })),
    [],
  );
  if (data.error) return html`<${ErrorNotice} error=${data.error} />`;
  if (!data.data) return html`<${Loading} />`;
  const { event, speakers, noWomen, noModerator, tags, attendance } = data.data;
  const names = genderNames();
  const genderRows = (groups, kind) =>
    groups.map((g) => ({ label: kind ? refName(kind, g.key, g.name) : t('reports.overall'), parts: g.gender[count] }));
  const overall = speakers.overall;
  const women = overall.gender[count].woman || 0;
  const counted = Object.values(overall.gender[count]).reduce((a, b) => a + b, 0);
  const groupTotal = Object.values(overall.stakeholder_group[count]).reduce((a, b) => a + b, 0) || 1;
  return html`
    <div class="reports">
      <dl class="stat-row">
        <${Stat} label=${t('reports.sessions')} value=${formatNumber(overall.sessions)} />
        <${Stat} label=${t('reports.speaker_slots')} value=${formatNumber(overall.speaker_slots)} />
        <${Stat} label=${t('reports.speakers')} value=${formatNumber(overall.speakers)} />
        <${Stat} label=${t('reports.women_share')} value=${formatNumber(counted ? women / counted : 0, { style: 'percent' })} />
        <${Stat} label=${t('reports.no_women')} value=${formatNumber(noWomen.total)} />
        <${Stat} label=${t('reports.no_moderator')} value=${formatNumber(noModerator.total)} />
      </dl>
      <fieldset class="count-choice">
        <legend>${t('reports.count_how')}</legend>
        <label class="checkbox"><input type="radio" name="count" value="slots" checked=${count === 'slots'} onChange=${() => setCount('slots')} /> ${t('reports.count_slots')}</label>
        <label class="checkbox"><input type="radio" name="count" value="people" checked=${count === 'people'} onChange=${() => setCount('people')} /> ${t('reports.count_people')}</label>
      </fieldset>
      <div class="chart-grid">
        <section class="card chart-card">
          <${StackedChart}
            title=${t('reports.gender_by_track')}
            rows=${[...genderRows([overall], null), ...genderRows(speakers.by_track, 'track')]}
            keys=${GENDERS}
            names=${names}
            colors=${GENDER_COLOURS}
          />
        </section>
        <section class="card chart-card">
          <${BarChart}
            title=${t('reports.stakeholder_mix')}
            rows=${GROUPS.map((g) => ({ label: t(`stakeholder.${g}`), value: (overall.stakeholder_group[count][g] || 0) / groupTotal }))}
            format=${(v) => formatNumber(v, { style: 'percent', maximumFractionDigits: 1 })}
          />
        </section>
        <section class="card chart-card chart-wide">
          <${StackedChart}
            title=${t('reports.gender_by_type')}
            rows=${genderRows(speakers.by_type, 'type')}
            keys=${GENDERS}
            names=${names}
            colors=${GENDER_COLOURS}
          />
        </section>
        <section class="card chart-card chart-wide">
          <${BarChart}
            title=${t('reports.action_lines')}
            rows=${tags.action_lines.map((a) => ({ label: `${a.key} · ${t(`al.${a.key}`)}`, value: a.share }))}
            format=${(v) => formatNumber(v, { style: 'percent' })}
          />
        </section>
        <section class="card chart-card chart-wide">
          <${BarChart}
            title=${t('reports.sdgs')}
            rows=${tags.sdgs.map((a) => ({ label: `${a.key} · ${t(`sdg.${a.key}`)}`, value: a.share }))}
            format=${(v) => formatNumber(v, { style: 'percent' })}
          />
        </section>
      </div>
      <section class="report-list" aria-labelledby="nw-h">
        <h2 id="nw-h">${t('reports.no_women_title', { count: noWomen.total })}</h2>
        <p class="hint">${t('reports.no_women_hint')}</p>
        <${SessionTable} caption=${t('reports.no_women_title', { count: noWomen.total })} list=${noWomen} zone=${event.timezone} />
      </section>
      <section class="report-list" aria-labelledby="nm-h">
        <h2 id="nm-h">${t('reports.no_moderator_title', { count: noModerator.total })}</h2>
        <${SessionTable} caption=${t('reports.no_moderator_title', { count: noModerator.total })} list=${noModerator} zone=${event.timezone} />
      </section>
      <${Attendance} report=${attendance} zone=${event.timezone} />
    </div>
  `;
}
