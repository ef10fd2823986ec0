// Questions to the panel: ask, upvote once, sorted pinned-first then by votes.
import { errorText, formatNumber, t } from '../core/i18n.js';
import { html, useState } from '../core/preact.js';
import { useId } from '../core/ui.js';

export function sortQuestions(questions) {
  return [...questions].sort(
    (a, b) => Number(b.pinned) - Number(a.pinned) || b.votes - a.votes || Date.parse(a.at) - Date.parse(b.at),
  );
}

export function QuestionItem({ q, voted, onUpvote, children }) {
  return html`
    <li class=${`question state-${q.state}${q.pinned ? ' question-pinned' : ''}`} data-question=${q.id}>
      <div class="question-votes">
        <button
          type="button"
          class="vote"
          aria-pressed=${voted ? 'true' : 'false'}
          disabled=${voted || !onUpvote || q.state !== 'open'}
          onClick=${() => onUpvote(q)}
          aria-label=${t('qa.upvote', { count: q.votes })}
        >
          <span aria-hidden="true">▲</span>
          <span>${formatNumber(q.votes)}</span>
        </button>
      </div>
      <div class="question-body">
        <p class="question-text">${q.text}</p>
        <p class="question-meta">
          ${q.author?.name}
          ${q.pinned ? html` · <strong>${t('qa.pinned')}</strong>` : null}
          ${q.state === 'answered' ? html` · <strong class="answered">${t('qa.answered')}</strong>` : null}
          ${q.state === 'dismissed' ? html` · ${t('qa.dismissed')}` : null}
        </p>
        ${q.answer ? html`<p class="question-answer">${q.answer}</p>` : null}
        ${children}
      </div>
    </li>
  `;
}

export function QA({ live, state }) {
  const id = useId('qa');
  const [text, setText] = useState('');
  const [failure, setFailure] = useState(null);
  const ask = async (e) => {
    e.preventDefault();
    if (!text.trim()) return;
    setFailure(null);
    try {
      const out = await live.request('qa:ask', { text: text.trim() });
      setText('');
      if (out.question) live.store.set((s) => ({ questions: s.questions.some((x) => x.id === out.question.id) ? s.questions : [...s.questions, out.question] }));
    } catch (err) {
      setFailure(err);
    }
  };
  const upvote = async (q) => {
    try {
      await live.request('qa:upvote', { question_id: q.id });
      live.store.set((s) => ({ voted: new Set([...s.voted, q.id]) }));
    } catch (err) {
      if (err.code === 'already_voted') live.store.set((s) => ({ voted: new Set([...s.voted, q.id]) }));
      else setFailure(err);
    }
  };
  const questions = sortQuestions(state.questions.filter((q) => q.state !== 'dismissed'));
  return html`
    <section class="qa" aria-labelledby=${`${id}-h`}>
      <h2 id=${`${id}-h`} class="visually-hidden">${t('live.qa')}</h2>
      <form class="qa-form" onSubmit=${ask}>
        <label for=${`${id}-input`}>${t('qa.ask_label')}</label>
        <textarea id=${`${id}-input`} rows="2" maxlength="500" value=${text} onInput=${(e) => setText(e.target.value)}></textarea>
        <button type="submit" class="button" disabled=${!text.trim() || state.status !== 'open'}>${t('qa.ask')}</button>
        ${failure ? html`<p class="field-error" role="alert">${errorText(failure)}</p>` : null}
      </form>
      ${questions.length === 0 ? html`<p class="muted">${t('qa.none')}</p>` : null}
      <ol class="questions" aria-live="polite">
        ${questions.map((q) => html`<${QuestionItem} key=${q.id} q=${q} voted=${state.voted.has(q.id)} onUpvote=${upvote} />`)}
      </ol>
    </section>
  `;
}
