// My account: what the organisers know about me, editable except the email.
import { api, fieldErrors } from '../core/api.js';
import { authStore, updateUser } from '../core/auth.js';
import { errorText, t } from '../core/i18n.js';
import { html, useEffect, useState } from '../core/preact.js';
import { here } from '../core/router.js';
import { useStore } from '../core/store.js';
import { Field, Loading, Notice, Page } from '../core/ui.js';
import { ProfileFields, TextField } from './account-fields.js';

const EDITABLE = ['name', 'organisation', 'country', 'stakeholder_group', 'gender'];

export default function ProfilePage() {
  const { user, ready } = useStore(authStore);
  const [values, setValues] = useState(null);
  const [errors, setErrors] = useState({});
  const [status, setStatus] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (user) setValues(Object.fromEntries(EDITABLE.map((k) => [k, user[k] ?? ''])));
  }, [user?.id]);
  if (!ready) return html`<${Page} title=${t('profile.title')}><${Loading} /><//>`;
  if (!user) {
    return html`<${Page} title=${t('profile.title')}><${Notice}>${t('login.needed')} <a href=${`/login?next=${encodeURIComponent(here())}`}>${t('nav.login')}</a><//><//>`;
  }
  if (!values) return html`<${Page} title=${t('profile.title')}><${Loading} /><//>`;
  const onInput = (name, value) => setValues((v) => ({ ...v, [name]: value }));
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setStatus(null);
    setErrors({});
    try {
      const updated = await api('/me', { method: 'PATCH', body: { ...values, gender: values.gender || null } });
      updateUser(updated);
      setStatus({ ok: true });
    } catch (err) {
      setErrors(fieldErrors(err));
      setStatus({ error: err });
    } finally {
      setBusy(false);
    }
  };
  return html`
    <${Page} title=${t('profile.title')} subtitle=${t(`role.${user.role}`)}>
      <form class="form card narrow" onSubmit=${submit} noValidate>
        ${status?.ok ? html`<${Notice} kind="success">${t('profile.saved')}<//>` : null}
        ${status?.error ? html`<${Notice} kind="error">${errorText(status.error)}<//>` : null}
        <${TextField} idPrefix="prof" name="name" label=${t('account.name')} value=${values.name} onInput=${onInput} errors=${errors} autocomplete="name" />
        <${Field} id="prof-email" label=${t('account.email')} hint=${t('profile.email_fixed')}>
          ${(aria) => html`<input ...${aria} type="email" value=${user.email} readonly />`}
        <//>
        <${ProfileFields} idPrefix="prof" values=${values} onInput=${onInput} errors=${errors} />
        <div class="form-actions">
          <button type="submit" class="button button-primary" disabled=${busy}>${t('profile.save')}</button>
        </div>
      </form>
    <//>
  `;
}
