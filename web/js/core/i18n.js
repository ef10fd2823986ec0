// Every visible string goes through t(): one table per language in /static/i18n/.
// English is the fallback table, so a key missing in another language still
// reads as a sentence; tests check that en and fr have exactly the same keys.
import { createStore } from './store.js';

export const LANGUAGES = { en: 'English', fr: 'Français' };
const RTL_LANGUAGES = new Set(['ar', 'he', 'fa', 'ur']);
const LOCALE_KEY = 'forumlive.locale';
const DIR_KEY = 'forumlive.dir';

const tables = new Map();
export const i18nStore = createStore({ locale: 'en', dir: 'ltr' });

async function loadTable(lang) {
  if (!tables.has(lang)) {
    const res = await fetch(`/static/i18n/${lang}.json`, { credentials: 'same-origin' });
    if (!res.ok) throw new Error(`no table for ${lang}`);
    tables.set(lang, await res.json());
  }
  return tables.get(lang);
}

function preferredLanguage() {
  const stored = localStorage.getItem(LOCALE_KEY);
  if (stored && stored in LANGUAGES) return stored;
  for (const tag of navigator.languages || [navigator.language]) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (base in LANGUAGES) return base;
  }
  return 'en';
}

// ?dir=rtl (or ltr) forces the direction and is remembered; ?dir=auto forgets it.
// It lets the right-to-left layout be checked before a right-to-left table ships.
function directionFor(lang) {
  const asked = new URLSearchParams(location.search).get('dir');
  if (asked === 'rtl' || asked === 'ltr') localStorage.setItem(DIR_KEY, asked);
  if (asked === 'auto') localStorage.removeItem(DIR_KEY);
  const forced = localStorage.getItem(DIR_KEY);
  if (forced === 'rtl' || forced === 'ltr') return forced;
  return RTL_LANGUAGES.has(lang) ? 'rtl' : 'ltr';
}

function apply(lang) {
  const dir = directionFor(lang);
  document.documentElement.lang = lang;
  document.documentElement.dir = dir;
  i18nStore.set({ locale: lang, dir });
}

export async function initI18n() {
  const lang = preferredLanguage();
  await loadTable('en');
  await loadTable(lang).catch(() => null);
  apply(tables.has(lang) ? lang : 'en');
}

export async function setLanguage(lang) {
  if (!(lang in LANGUAGES)) return;
  await loadTable(lang);
  localStorage.setItem(LOCALE_KEY, lang);
  apply(lang);
}

export const locale = () => i18nStore.get().locale;

// For Intl formatting: the reader's own regional variant of the chosen language
// (en-GB dates for a British reader of the English table), else the bare language.
export function intlLocale() {
  const lang = locale();
  const own = (navigator.languages || [navigator.language]).find(
    (tag) => String(tag).toLowerCase().split('-')[0] === lang,
  );
  return own || lang;
}
export const direction = () => i18nStore.get().dir;

const pluralRules = new Map();
function pluralCategory(n) {
  const lang = locale();
  if (!pluralRules.has(lang)) pluralRules.set(lang, new Intl.PluralRules(lang));
  return pluralRules.get(lang).select(n);
}

function lookup(key) {
  const own = tables.get(locale());
  if (own && key in own) return own[key];
  const en = tables.get('en');
  return en ? en[key] : undefined;
}

export function has(key) {
  return lookup(key) !== undefined;
}

// t('agenda.count', { count: 3 }): plural forms are objects {one, other}.
export function t(key, vars) {
  let value = lookup(key);
  if (value === undefined) {
    console.warn('i18n: missing key', key);
    return key;
  }
  if (typeof value === 'object') {
    value = value[pluralCategory(Number(vars?.count ?? 0))] ?? value.other;
  }
  if (!vars) return value;
  return value.replace(/\{(\w+)\}/g, (whole, name) =>
    name in vars ? (typeof vars[name] === 'number' ? formatNumber(vars[name]) : String(vars[name])) : whole,
  );
}

// The English reference vocabulary (tracks, session types) is translated when
// the programme still uses the reference name; an organiser's own name is shown as typed.
export function refName(kind, key, name) {
  const en = tables.get('en') || {};
  const id = `${kind}.${key}`;
  return en[id] !== undefined && en[id] === name ? t(id) : name;
}

const numberFormats = new Map();
export function formatNumber(n, options) {
  const id = `${intlLocale()}|${JSON.stringify(options || {})}`;
  if (!numberFormats.has(id)) numberFormats.set(id, new Intl.NumberFormat(intlLocale(), options));
  return numberFormats.get(id).format(n);
}

const languageNames = new Map();
// "en" -> "English" / "anglais", in the reader's language.
export function languageName(code) {
  const lang = locale();
  if (!languageNames.has(lang)) languageNames.set(lang, new Intl.DisplayNames([lang], { type: 'language' }));
  try {
    return languageNames.get(lang).of(code);
  } catch {
    return code;
  }
}

// A server error shown in the reader's language when we know its code.
export function errorText(err) {
  if (!err) return '';
  const key = `error.${err.code}`;
  if (has(key)) return t(key, err.details && typeof err.details === 'object' ? err.details : undefined);
  return err.message || t('error.unknown');
}
