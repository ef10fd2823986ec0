// The page's `io('/live', …)` on the npm socket.io-client (tests/live/js), against LIVE_URL,
// counting the coalesced frames that reach the page.
import { createRequire } from 'node:module';

const require = createRequire(process.env.SOCKET_IO_CLIENT);
const { io: realIo } = require('socket.io-client');

export const seen = { batch: 0 };
globalThis.__seen = seen;

export function io(path, options) {
  const socket = realIo(process.env.LIVE_URL + path, options);
  socket.onAny((event) => {
    if (event === 'batch') seen.batch += 1;
  });
  return socket;
}
