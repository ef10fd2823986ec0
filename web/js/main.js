// Entry point: language table, account, router, then the shell draws the page.
import { authStore, loadMe } from './core/auth.js';
import { i18nStore, initI18n } from './core/i18n.js';
import { html, render } from './core/preact.js';
import { routeStore, startRouter } from './core/router.js';
import { Shell } from './shell.js';

async function boot() {
  await initI18n();
  startRouter();
  const root = document.getElementById('app');
  root.removeAttribute('aria-busy');
  root.textContent = '';
  render(html`<${Shell} />`, root);
  await loadMe();
}

boot().catch((err) => {
  console.error(err);
  const root = document.getElementById('app');
  root.removeAttribute('aria-busy');
  root.textContent = String(err);
});

// Keep references so bundlers-free debugging from the console is easy.
window.forumlive = { authStore, i18nStore, routeStore };
