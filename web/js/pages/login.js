// Log in with email and password; the server sets the session cookie.
import { authStore, login } from '../core/auth.js';
import { errorText, t } from '../core/i18n.js';
import { html, useState } from '../core/preact.js';
import { navigate } from '../core/router.js';
import { useStore } from '../core/store.js';
import { Field, Notice, Page } from '../core/ui.js';
import { safeNext } from './register.js';

export default function LoginPage({ route }) {
  const { user } = useStore(authStore);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      await login(email.trim(), password);
      navigate(safeNext(route.query), { replace: true });
    } catch (err) {
      setFailure(err);
      setBusy(false);
    }
  };
  if (user) {
    return html`<${Page} title=${t('login.title')}><${Notice}>${t('login.already', { name: user.name })} <a href="/">${t('nav.agenda')}</a><//><//>`;
  }
  const next = route.query.get('next');
  return html`
    <${Page} title=${t('login.title')}>
      <form class="form card narrow" onSubmit=${submit}>
        ${next ? html`<${Notice}>${t('login.needed')}<//>` : null}
        ${failure ? html`<${Notice} kind="error">${errorText(failure)}<//>` : null}
        <${Field} id="login-email" label=${t('account.email')}>
          ${(aria) => html`<input ...${aria} type="email" name="email" required autocomplete="email" value=${email} onInput=${(e) => setEmail(e.target.value)} />`}
        <//>
        <${Field} id="login-password" label=${t('account.password')}>
          ${(aria) => html`<input ...${aria} type="password" name="password" required autocomplete="current-password" value=${password} onInput=${(e) => setPassword(e.target.value)} />`}
        <//>
        <div class="form-actions">
          <button type="submit" class="button button-primary" disabled=${busy}>${t('login.submit')}</button>
          <span>${t('login.no_account')} <a href=${`/register${next ? `?next=${encodeURIComponent(next)}` : ''}`}>${t('nav.register')}</a></span>
        </div>
      </form>
    <//>
  `;
}
