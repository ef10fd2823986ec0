// The official Socket.IO client (npm socket.io-client) against forumlive's /live namespace.
// Prints one JSON object with what it saw; tests/live/test_js_client.py checks it.
import { io } from "socket.io-client";

const url = process.env.LIVE_URL;
const [tokenA, tokenB, modToken] = [process.env.TOKEN_A, process.env.TOKEN_B, process.env.TOKEN_MOD];
const XSS = process.env.XSS_TEXT;
const out = {};

function open(auth) {
  return io(url + "/live", { auth, transports: ["websocket"], reconnection: false, forceNew: true });
}

function once(socket, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout waiting for ${event}`)), ms);
    socket.once(event, (data) => { clearTimeout(timer); resolve(data); });
  });
}

async function refused(auth) {
  const socket = open(auth);
  const err = await once(socket, "connect_error");
  socket.close();
  return { message: err.message, data: err.data };
}

async function main() {
  out.no_token = await refused({});
  out.bad_token = await refused({ token: "not.a.token" });

  const a = open({ token: tokenA });
  const welcomeA = await once(a, "room:welcome");
  out.welcome_a = welcomeA;

  let lastSeq = 0;
  const seenByB = [];
  const b = open((cb) => cb(lastSeq ? { token: tokenB, last_seq: lastSeq } : { token: tokenB }));
  b.on("chat:message", (m) => { seenByB.push(m.seq); lastSeq = Math.max(lastSeq, m.seq); });
  out.welcome_b = await once(b, "room:welcome");

  const gotByB = once(b, "chat:message");
  out.send_ack = await a.timeout(5000).emitWithAck("chat:send", { text: XSS });
  out.received_by_b = await gotByB;

  out.unknown_ack = await a.timeout(5000).emitWithAck("chat:shout", { text: "hi" });
  out.malformed_ack = await a.timeout(5000).emitWithAck("chat:send", "just a string");
  out.binary_ack = await a.timeout(5000).emitWithAck("chat:send", { text: Buffer.from("bytes") });
  out.still_ok_ack = await a.timeout(5000).emitWithAck("chat:send", { text: "after binary" });
  await new Promise((r) => setTimeout(r, 300));

  // Resume: B drops, A talks, B comes back with the last seq it saw (auth is a function).
  b.disconnect();
  out.b_last_seq = lastSeq;
  for (let n = 0; n < 3; n++) {
    await a.timeout(5000).emitWithAck("chat:send", { text: `missed ${n}` });
  }
  const rewelcome = once(b, "room:welcome");
  b.connect();
  out.resume_welcome = await rewelcome;

  const mod = open({ token: modToken });
  await once(mod, "room:welcome");
  const kicked = once(a, "room:kicked");
  const gone = once(a, "disconnect");
  out.ban_ack = await mod.timeout(5000).emitWithAck("mod:ban", { public_id: welcomeA.you.public_id });
  out.kicked = await kicked;
  out.disconnect_reason = await gone;
  out.banned_again = await refused({ token: tokenA });

  for (const s of [a, b, mod]) s.close();
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack || err));
  process.exit(1);
});
