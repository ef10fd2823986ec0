// History-based routing: the server answers every page path with index.html,
// and this decides which page module draws it. Pages load on first visit.
import { createStore } from './store.js';

const ROUTES = [
  [/^\/(?:agenda)?$/, 'agenda'],
  [/^\/schedule$/, 'schedule'],
  [/^\/sessions\/(\d+)$/, 'session', ['id']],
  [/^\/rooms\/(\d+)$/, 'room', ['id']],
  [/^\/moderate\/(\d+)$/, 'moderate', ['id']],
  [/^\/organise(?:\/([a-z-]+))?$/, 'organise', ['section']],
  [/^\/login$/, 'login'],
  [/^\/register$/, 'register'],
  [/^\/profile$/, 'profile'],
];

function parse(loc) {
  for (const [pattern, name, keys = []] of ROUTES) {
    const match = pattern.exec(loc.pathname);
    if (match) {
      const params = {};
      keys.forEach((key, i) => {
        params[key] = match[i + 1];
      });
      return { name, params, query: new URLSearchParams(loc.search), path: loc.pathname + loc.search };
    }
  }
  return { name: 'notfound', params: {}, query: new URLSearchParams(loc.search), path: loc.pathname };
}

export const routeStore = createStore({ route: parse(location), navigations: 0 });

export function navigate(to, { replace = false } = {}) {
  const before = location.pathname;
  history[replace ? 'replaceState' : 'pushState'](null, '', to);
  const route = parse(location);
  const moved = route.path.split('?')[0] !== before;
  routeStore.set((s) => ({ route, navigations: s.navigations + (moved ? 1 : 0) }));
  if (moved) window.scrollTo(0, 0);
}

// Change the query string of the current page (filters), without a history entry per keystroke.
export function setQuery(values, { replace = true } = {}) {
  const params = new URLSearchParams(location.search);
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === null || value === '') params.delete(name);
    else params.set(name, value);
  }
  const search = params.toString();
  navigate(location.pathname + (search ? `?${search}` : ''), { replace });
}

// Where to come back to after logging in.
export function here() {
  return location.pathname + location.search;
}

export function startRouter() {
  window.addEventListener('popstate', () =>
    routeStore.set((s) => ({ route: parse(location), navigations: s.navigations + 1 })),
  );
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest && event.target.closest('a[href]');
    if (!link || link.target || link.hasAttribute('download') || link.origin !== location.origin) return;
    if (link.pathname.startsWith('/api/') || link.pathname.startsWith('/static/')) return;
    event.preventDefault();
    navigate(link.pathname + link.search + link.hash);
  });
}
