// The frame around every page: skip link, header with navigation, language and
// time-zone settings, the page itself (loaded on first visit) and the footer.
import { EV_SESSION_REMINDER, listenAgenda, reconnectAgenda } from './core/agenda-feed.js';
import { authStore, isOrganiser, logout } from './core/auth.js';
import { LANGUAGES, i18nStore, setLanguage, t } from './core/i18n.js';
import { html, useEffect, useRef, useState } from './core/preact.js';
import { navigate, routeStore } from './core/router.js';
import { useStore } from './core/store.js';
import { zoneStore } from './core/time.js';
import { Loading, Notice, Page } from './core/ui.js';

const PAGES = {
  agenda: () => import('./pages/agenda.js'),
  schedule: () => import('./pages/schedule.js'),
  session: () => import('./pages/session.js'),
  room: () => import('./live/room.js'),
  moderate: () => import('./live/moderate.js'),
  organise: () => import('./organise/console.js'),
  login: () => import('./pages/login.js'),
  register: () => import('./pages/register.js'),
  profile: () => import('./pages/profile.js'),
};

const loaded = new Map();

function PageSlot({ route }) {
  const [, setTick] = useState(0);
  const load = PAGES[route.name];
  useEffect(() => {
    if (load && !loaded.has(route.name)) {
      load().then(
        (module) => {
          loaded.set(route.name, module.default);
          setTick((n) => n + 1);
        },
        (err) => {
          console.error(err);
          loaded.set(route.name, () => html`<${Page} title=${t('error.page_failed')}><${Notice} kind="error">${t('error.page_failed_text')}<//><//>`);
          setTick((n) => n + 1);
        },
      );
    }
  }, [route.name]);
  if (!load) return html`<${NotFound} />`;
  const Component = loaded.get(route.name);
  return Component ? html`<${Component} route=${route} />` : html`<${Loading} />`;
}

function NotFound() {
  return html`
    <${Page} title=${t('notfound.title')}>
      <p>${t('notfound.text')}</p>
      <p><a href="/">${t('notfound.back')}</a></p>
    <//>
  `;
}

function LanguageSwitch() {
  const { locale } = useStore(i18nStore);
  return html`
    <div class="lang-switch">
      <label for="lang-select" class="visually-hidden">${t('shell.language')}</label>
      <select id="lang-select" value=${locale} onChange=${(e) => setLanguage(e.target.value)}>
        ${Object.entries(LANGUAGES).map(
          ([code, name]) => html`<option value=${code} lang=${code}>${name}</option>`,
        )}
      </select>
    </div>
  `;
}

function AccountMenu({ user }) {
  if (!user) {
    return html`
      <a class="nav-link" href="/login">${t('nav.login')}</a>
      <a class="button button-small" href="/register">${t('nav.register')}</a>
    `;
  }
  const out = async () => {
    await logout();
    navigate('/');
  };
  return html`
    <a class="nav-link" href="/profile">
      <span class="avatar" aria-hidden="true">${user.name.trim().charAt(0).toUpperCase()}</span>
      <span class="nav-name">${user.name}</span><span class="visually-hidden">${t('nav.profile_suffix')}</span>
    </a>
    <button type="button" class="link-button" onClick=${out}>${t('nav.logout')}</button>
  `;
}

function NavLink({ href, active, children }) {
  return html`<a class="nav-link" href=${href} aria-current=${active ? 'page' : undefined}>${children}</a>`;
}

// "Starting in 15 minutes" pushed to every open tab of the person (stars and sign-ups).
function Reminders({ user }) {
  const [items, setItems] = useState([]);
  useEffect(() => {
    if (!user) return undefined;
    return listenAgenda((name, data) => {
      if (name === EV_SESSION_REMINDER) setItems((list) => [...list.filter((x) => x.session_id !== data.session_id), data]);
    });
  }, [user?.id]);
  if (!items.length) return null;
  return html`
    <div class="reminders" role="status">
      ${items.map(
        (r) => html`<div class="reminder" key=${r.session_id}>
          <span>${t('reminder.text', { title: r.title, count: r.minutes })}</span>
          <a class="button button-small button-primary" href=${`/sessions/${r.session_id}`}>${t('reminder.open')}</a>
          <button type="button" class="button button-small button-quiet" onClick=${() => setItems((list) => list.filter((x) => x.session_id !== r.session_id))}>${t('common.close')}</button>
        </div>`,
      )}
    </div>
  `;
}

export function Shell() {
  const { route } = useStore(routeStore);
  const { user, ready } = useStore(authStore);
  useStore(i18nStore);
  useStore(zoneStore);
  const userId = user?.id ?? null;
  const seen = useRef(undefined);
  useEffect(() => {
    if (seen.current !== undefined && seen.current !== userId) reconnectAgenda();
    seen.current = userId;
  }, [userId]);
  return html`
    <a class="skip-link" href="#main" onClick=${(e) => {
      e.preventDefault();
      document.getElementById('main')?.focus();
    }}>${t('shell.skip')}</a>
    <header class="site-header">
      <div class="header-inner">
        <a class="brand" href="/" aria-label=${t('shell.home')}>
          <svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
            <rect width="32" height="32" rx="7"></rect><circle cx="16" cy="16" r="6"></circle><circle cx="16" cy="16" r="2"></circle>
          </svg>
          <span>forumlive</span>
        </a>
        <nav class="main-nav" aria-label=${t('nav.label')}>
          <${NavLink} href="/" active=${route.name === 'agenda'}>${t('nav.agenda')}<//>
          ${user ? html`<${NavLink} href="/schedule" active=${route.name === 'schedule'}>${t('nav.schedule')}<//>` : null}
          ${isOrganiser(user) ? html`<${NavLink} href="/organise" active=${route.name === 'organise'}>${t('nav.organise')}<//>` : null}
        </nav>
        <div class="header-tools">
          <${LanguageSwitch} />
          ${ready ? html`<${AccountMenu} user=${user} />` : null}
        </div>
      </div>
    </header>
    <${Reminders} user=${user} />
    <main id="main" tabindex="-1">
      <${PageSlot} route=${route} />
    </main>
    <footer class="site-footer">
      <p>${t('shell.footer')}</p>
      <p><a href="/api/v1/openapi.json">${t('shell.api')}</a></p>
    </footer>
  `;
}
