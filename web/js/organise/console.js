// The organiser console: programme editor, timeline, import, exports, reports.
import { authStore, isOrganiser } from '../core/auth.js';
import { t } from '../core/i18n.js';
import { html, useEffect, useState } from '../core/preact.js';
import { here } from '../core/router.js';
import { useStore } from '../core/store.js';
import { Loading, Notice, Page } from '../core/ui.js';

const SECTIONS = {
  programme: () => import('./programme.js'),
  timeline: () => import('./timeline.js'),
  import: () => import('./import.js'),
  exports: () => import('./exports.js'),
  reports: () => import('./reports.js'),
};

function SectionNav({ current }) {
  return html`
    <nav class="sub-nav" aria-label=${t('organise.sections')}>
      ${Object.keys(SECTIONS).map(
        (name) => html`<a href=${`/organise/${name}`} class="sub-nav-link" aria-current=${name === current ? 'page' : undefined}>${t(`organise.${name}`)}</a>`,
      )}
    </nav>
  `;
}

export default function OrganiseConsole({ route }) {
  const { user, ready } = useStore(authStore);
  const section = route.params.section && route.params.section in SECTIONS ? route.params.section : 'programme';
  const [modules, setModules] = useState({});
  useEffect(() => {
    if (!modules[section]) {
      SECTIONS[section]().then((m) => setModules((all) => ({ ...all, [section]: m.default })));
    }
  }, [section]);
  if (!ready) return html`<${Page} title=${t('organise.title')}><${Loading} /><//>`;
  if (!user) {
    return html`<${Page} title=${t('organise.title')}><${Notice}>${t('login.needed')} <a href=${`/login?next=${encodeURIComponent(here())}`}>${t('nav.login')}</a><//><//>`;
  }
  if (!isOrganiser(user)) return html`<${Page} title=${t('organise.title')}><${Notice} kind="warning">${t('organise.only')}<//><//>`;
  const Section = modules[section];
  return html`
    <${Page} title=${t(`organise.${section}`)} subtitle=${t('organise.title')} wide=${true}>
      <${SectionNav} current=${section} />
      ${Section ? html`<${Section} route=${route} />` : html`<${Loading} />`}
    <//>
  `;
}
