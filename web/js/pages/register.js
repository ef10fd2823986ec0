// Create an account: the server signs the new participant in at once.
import { ApiError, fieldErrors } from '../core/api.js';
import { authStore, register } from '../core/auth.js';
import { errorText, t } from '../core/i18n.js';
import { html, useState } from '../core/preact.js';
import { navigate } from '../core/router.js';
import { useStore } from '../core/store.js';
import { Notice, Page } from '../core/ui.js';
import { ProfileFields, TextField } from './account-fields.js';

const EMPTY = { name: '', email: '', password: '', organisation: '', country: '', stakeholder_group: '', gender: '' };

export function safeNext(query) {
  const next = query.get('next') || '/';
  // Only our own paths: an open redirect would make a phishing link look like ours.
  return next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export default function RegisterPage({ route }) {
  const { user } = useStore(authStore);
  const [values, setValues] = useState(EMPTY);
  const [errors, setErrors] = useState({});
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const onInput = (name, value) => setValues((v) => ({ ...v, [name]: value }));
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    setErrors({});
    try {
      const body = { ...values, gender: values.gender || null };
      await register(body);
      navigate(safeNext(route.query), { replace: true });
    } catch (err) {
      setErrors(fieldErrors(err));
      setFailure(err);
      setBusy(false);
      requestAnimationFrame(() => document.querySelector('.form [aria-invalid="true"], .form .notice-error')?.focus?.());
    }
  };
  if (user) {
    return html`<${Page} title=${t('register.title')}><${Notice}>${t('register.already', { name: user.name })} <a href="/">${t('nav.agenda')}</a><//><//>`;
  }
  return html`
    <${Page} title=${t('register.title')} subtitle=${t('register.subtitle')}>
      <form class="form card narrow" onSubmit=${submit} noValidate>
        ${failure && !(failure instanceof ApiError && failure.status === 422)
          ? html`<${Notice} kind="error">${errorText(failure)}${failure.code === 'email_taken' ? html` <a href="/login">${t('nav.login')}</a>` : null}<//>`
          : failure
            ? html`<${Notice} kind="error">${t('form.fix_errors')}<//>`
            : null}
        <${TextField} idPrefix="reg" name="name" label=${t('account.name')} value=${values.name} onInput=${onInput} errors=${errors} autocomplete="name" />
        <${TextField} idPrefix="reg" name="email" type="email" label=${t('account.email')} value=${values.email} onInput=${onInput} errors=${errors} autocomplete="email" />
        <${TextField} idPrefix="reg" name="password" type="password" label=${t('account.password')} hint=${t('account.password_hint')} value=${values.password} onInput=${onInput} errors=${errors} autocomplete="new-password" />
        <${ProfileFields} idPrefix="reg" values=${values} onInput=${onInput} errors=${errors} />
        <div class="form-actions">
          <button type="submit" class="button button-primary" disabled=${busy}>${t('register.submit')}</button>
          <span>${t('register.have_account')} <a href=${`/login${route.query.get('next') ? `?next=${encodeURIComponent(route.query.get('next'))}` : ''}`}>${t('nav.login')}</a></span>
        </div>
      </form>
    <//>
  `;
}
