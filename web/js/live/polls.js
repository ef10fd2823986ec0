// Polls: one vote each; the tallies move as votes arrive (pushed, throttled by the server).
import { errorText, formatNumber, t } from '../core/i18n.js';
import { html, useState } from '../core/preact.js';

export function Tally({ poll, mine }) {
  return html`
    <ul class="tally" data-tally=${poll.id}>
      ${poll.options.map((o) => {
        const share = poll.total ? o.votes / poll.total : 0;
        return html`<li class=${String(mine) === String(o.id) ? 'tally-mine' : ''}>
          <div class="tally-row">
            <span>${o.text}${String(mine) === String(o.id) ? html` <span class="hint">(${t('poll.your_vote')})</span>` : null}</span>
            <span class="tally-num" data-votes=${o.votes}>${formatNumber(o.votes)} · ${formatNumber(share, { style: 'percent' })}</span>
          </div>
          <svg class="bar-svg" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
            <rect class="bar-bg" width="100" height="10"></rect>
            <rect class="bar" width=${share * 100} height="10"></rect>
          </svg>
        </li>`;
      })}
    </ul>
    <p class="hint">${t('poll.total', { count: poll.total })}</p>
  `;
}

function PollCard({ poll, mine, live }) {
  const [choice, setChoice] = useState('');
  const [failure, setFailure] = useState(null);
  const vote = async (e) => {
    e.preventDefault();
    if (!choice) return;
    setFailure(null);
    try {
      await live.request('poll:vote', { poll_id: poll.id, option_id: Number(choice) });
      live.store.set((s) => ({ myVotes: { ...s.myVotes, [poll.id]: Number(choice) } }));
    } catch (err) {
      if (err.code === 'already_voted') live.store.set((s) => ({ myVotes: { ...s.myVotes, [poll.id]: Number(choice) } }));
      else setFailure(err);
    }
  };
  const voted = mine !== undefined && mine !== null;
  return html`
    <article class="card poll" aria-labelledby=${`poll-${poll.id}`} data-poll=${poll.id}>
      <h3 id=${`poll-${poll.id}`}>${poll.question}</h3>
      <p class="hint">${t(`poll.state_${poll.state}`)}</p>
      ${poll.state === 'open' && !voted
        ? html`<form onSubmit=${vote}>
            <fieldset>
              <legend class="visually-hidden">${poll.question}</legend>
              ${poll.options.map(
                (o) => html`<label class="checkbox poll-option"><input type="radio" name=${`poll-${poll.id}`} value=${o.id} checked=${choice === String(o.id)} onChange=${(e) => setChoice(e.target.value)} /> ${o.text}</label>`,
              )}
            </fieldset>
            <button type="submit" class="button button-primary" disabled=${!choice}>${t('poll.vote')}</button>
            ${failure ? html`<p class="field-error" role="alert">${errorText(failure)}</p>` : null}
          </form>`
        : html`<${Tally} poll=${poll} mine=${mine} />`}
    </article>
  `;
}

export function Polls({ live, state }) {
  const polls = state.polls.filter((p) => p.state !== 'draft').slice().reverse();
  return html`
    <section class="polls" aria-label=${t('live.polls')}>
      ${polls.length === 0 ? html`<p class="muted">${t('poll.none')}</p>` : null}
      ${polls.map((p) => html`<${PollCard} key=${p.id} poll=${p} mine=${state.myVotes[p.id]} live=${live} />`)}
    </section>
  `;
}
