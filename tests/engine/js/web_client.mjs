// The room page's live connection (web/js/live/connection.js) as a browser runs it:
// prints READY once welcomed, then the chat its store holds once EXPECT messages are in.
import { createLive } from '../../../web/js/live/connection.js';

const expected = Number(process.env.EXPECT);
const live = createLive(Number(process.env.SESSION_ID), { token: process.env.TOKEN, role: 'participant' });

async function until(check, ms, what) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(live.store.get().status)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

try {
  await until(() => live.store.get().status === 'open', 15_000, 'the welcome');
  process.stdout.write('READY\n');
  await until(() => live.store.get().messages.length >= expected, 20_000, `${expected} messages`);
  const { messages } = live.store.get();
  process.stdout.write(
    JSON.stringify({ seqs: messages.map((m) => m.seq), texts: messages.map((m) => m.text), batches: globalThis.__seen.batch }) + '\n',
  );
  live.close();
  process.exit(0);
} catch (err) {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n');
  process.exit(1);
}
