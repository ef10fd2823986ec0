// Runs web/js modules (plain .js ES modules, served to browsers) under node, with the
// vendored browser build of socket.io-client swapped for the npm one (socketio_shim.mjs).
const SHIM = new URL('./socketio_shim.mjs', import.meta.url).href;
const WEB = new URL('../../../web/', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier.endsWith('/vendor/socket.io.esm.min.js')) return { url: SHIM, shortCircuit: true };
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (url.startsWith(WEB) && url.endsWith('.js')) return next(url, { ...context, format: 'module' });
  return next(url, context);
}
