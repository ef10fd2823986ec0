// Form controls shared by registration and the profile page.
import { countryOptions } from '../core/countries.js';
import { t } from '../core/i18n.js';
import { html } from '../core/preact.js';
import { Field, fieldErrorText } from '../core/ui.js';

export const STAKEHOLDER_GROUPS = [
  'government',
  'private_sector',
  'civil_society',
  'academia',
  'international_organisation',
  'other',
];
export const GENDERS = ['woman', 'man', 'non_binary', 'other'];

export function TextField({ name, label, value, onInput, errors, type = 'text', autocomplete, hint, required = true, idPrefix }) {
  return html`
    <${Field} id=${`${idPrefix}-${name}`} label=${label} hint=${hint} error=${errors[name] && fieldErrorText(errors[name])}>
      ${(aria) => html`<input
        ...${aria}
        name=${name}
        type=${type}
        value=${value}
        required=${required}
        autocomplete=${autocomplete}
        onInput=${(e) => onInput(name, e.target.value)}
      />`}
    <//>
  `;
}

export function ProfileFields({ values, onInput, errors, idPrefix }) {
  return html`
    <${TextField} idPrefix=${idPrefix} name="organisation" label=${t('account.organisation')} value=${values.organisation} onInput=${onInput} errors=${errors} autocomplete="organization" />
    <${Field} id=${`${idPrefix}-country`} label=${t('account.country')} error=${errors.country && fieldErrorText(errors.country)}>
      ${(aria) => html`<select ...${aria} name="country" required value=${values.country} onChange=${(e) => onInput('country', e.target.value)}>
        <option value="">${t('form.choose')}</option>
        ${countryOptions().map((c) => html`<option value=${c.value}>${c.label}</option>`)}
      </select>`}
    <//>
    <${Field} id=${`${idPrefix}-stakeholder_group`} label=${t('account.stakeholder_group')} error=${errors.stakeholder_group && fieldErrorText(errors.stakeholder_group)}>
      ${(aria) => html`<select ...${aria} name="stakeholder_group" required value=${values.stakeholder_group} onChange=${(e) => onInput('stakeholder_group', e.target.value)}>
        <option value="">${t('form.choose')}</option>
        ${STAKEHOLDER_GROUPS.map((g) => html`<option value=${g}>${t(`stakeholder.${g}`)}</option>`)}
      </select>`}
    <//>
    <${Field} id=${`${idPrefix}-gender`} label=${t('account.gender')} optional=${true} hint=${t('account.gender_hint')} error=${errors.gender && fieldErrorText(errors.gender)}>
      ${(aria) => html`<select ...${aria} name="gender" value=${values.gender || ''} onChange=${(e) => onInput('gender', e.target.value)}>
        <option value="">${t('gender.unset')}</option>
        ${GENDERS.map((g) => html`<option value=${g}>${t(`gender.${g}`)}</option>`)}
      </select>`}
    <//>
  `;
}
