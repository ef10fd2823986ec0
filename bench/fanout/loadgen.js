// Load generator: N receivers in one room plus one publisher, all with socket.io-client.
//
// Phases, each announced on stdout as a marker line; after each marker the generator waits
// for a line on stdin, so the orchestrator can sample the server (RSS, CPU) at that moment:
//   WARM       the publisher is connected (baseline for memory per client)
//   CONNECTED  all N receivers are connected and welcomed (connect time measured)
//   PUBLISH_START / PUBLISH_END  around publishing at a fixed rate, then draining
// The last line is "RESULT {json}". Bounded: every phase has a deadline.
//
// Options added for the broadcast engine (issue 11):
//   --deflate 1|0  offer permessage-deflate as browsers do (default 1) or not
//   --steps 1      after CONNECTED, run publishing steps the orchestrator asks for: it answers
//                  each "STEP?" with "<rate> <seconds>" (or "done"); every step is wrapped in
//                  PUBLISH_START / PUBLISH_END and reported as "STEP_RESULT {json}"
// Receivers unpack the coalesced form ("batch": [[event, data], ...], docs/protocol.md).
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { io } from "socket.io-client";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, v, i, all) => (i % 2 ? pairs : [...pairs, [v.replace(/^--/, ""), all[i + 1]]]), [])
);
const url = args.url;
const clients = Number(args.clients);
const rate = Number(args.rate);
const seconds = Number(args.seconds);
const size = Number(args.size || 100);
const inflight = Number(args.inflight || 50);
const connectTimeout = Number(args["connect-timeout"] || 300) * 1000;
// After publishing, wait while deliveries still arrive: stop once none came for `stall`
// seconds, or at `drain-timeout` at the latest. "lost" is what never arrived by then.
const drainTimeout = Number(args["drain-timeout"] || 300) * 1000;
const stallTimeout = Number(args.stall || 20) * 1000;
const tokens = args.tokens ? JSON.parse(readFileSync(args.tokens, "utf8")) : null;
const deflate = args.deflate !== "0";
const stepMode = args.steps === "1";

const stdin = createInterface({ input: process.stdin });
const lines = [];
let waiter = null;
stdin.on("line", (l) => { if (waiter) { const w = waiter; waiter = null; w(l); } else lines.push(l); });
async function marker(name) {
  process.stdout.write(name + "\n");
  if (lines.length) return lines.shift();
  return new Promise((resolve) => { waiter = resolve; });
}

const now = () => performance.timeOrigin + performance.now();
const sentAt = new Map(); // message id -> send time (ms)
const latencies = [];
const deliveries = new Map(); // message id -> count
let delivered = 0, duplicates = 0, firstSend = 0, lastDelivery = 0;
const seenPerClient = [];
const droppedClient = []; // receivers that lost their connection at least once

// --resume 1: receivers behave like the web client: on a dropped connection they reconnect
// with {token, last_seq} and take what they missed from room:welcome (docs/protocol.md).
const resume = args.resume === "1";
let disconnects = 0, reconnects = 0;

function open(i, token, onMessage) {
  return new Promise((resolve, reject) => {
    let lastSeq = null, welcomed = false;
    const auth = token
      ? (cb) => cb(lastSeq === null ? { token } : { token, last_seq: lastSeq })
      : {};
    const socket = io(url + "/live", {
      auth,
      transports: ["websocket"],
      reconnection: resume,
      forceNew: true,
      timeout: connectTimeout,
      perMessageDeflate: deflate ? { threshold: 1024 } : false,
    });
    const take = (m) => {
      if (typeof m.seq === "number") lastSeq = Math.max(lastSeq ?? 0, m.seq);
      if (onMessage) onMessage(m);
    };
    socket.on("room:welcome", (w) => {
      if (welcomed) reconnects += 1;
      for (const m of (w.chat && w.chat.messages) || []) take(m);
      if (!welcomed) { welcomed = true; resolve(socket); }
    });
    socket.on("chat:message", take);
    socket.on("batch", (items) => { for (const [event, data] of items) if (event === "chat:message") take(data); });
    socket.on("disconnect", () => { disconnects += 1; if (i >= 0) droppedClient[i] = true; });
    socket.on("connect_error", (err) => {
      if (welcomed) return; // reconnecting: socket.io-client retries by itself
      socket.close();
      reject(new Error(`client ${i}: ${err.message}`));
    });
  });
}

function receive(index) {
  const seen = new Set();
  seenPerClient[index] = seen;
  return (message) => {
    const id = Number(String(message.text).split("|")[0]);
    const t = now();
    if (!sentAt.has(id)) return;
    if (seen.has(id)) { duplicates += 1; return; }
    seen.add(id);
    delivered += 1;
    lastDelivery = t;
    latencies.push(t - sentAt.get(id));
    deliveries.set(id, (deliveries.get(id) || 0) + 1);
  };
}

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

let publisher = null;
let nextId = 0;

async function main() {
  publisher = await open(-1, tokens ? tokens.publisher : null, null);
  await marker("WARM");

  const receivers = new Array(clients);
  const connectStarted = now();
  let next = 0, failed = 0;
  async function worker() {
    while (next < clients) {
      const i = next++;
      try {
        receivers[i] = await open(i, tokens ? tokens.receivers[i] : null, receive(i));
      } catch (err) {
        failed += 1;
        process.stderr.write(String(err.message) + "\n");
      }
    }
  }
  await Promise.race([
    Promise.all(Array.from({ length: inflight }, worker)),
    new Promise((_, reject) => setTimeout(() => reject(new Error("connect phase timed out")), connectTimeout)),
  ]);
  const connectSeconds = (now() - connectStarted) / 1000;
  await marker("CONNECTED");
  await new Promise((r) => setTimeout(r, 2000)); // presence pushes after the join storm settle

  if (!stepMode) {
    const result = await phase(rate, seconds, receivers, failed);
    result.connect_seconds = connectSeconds;
    result.connected = clients - failed;
    process.stdout.write("RESULT " + JSON.stringify(result) + "\n");
  } else {
    const steps = [];
    for (;;) {
      const answer = (await marker("STEP?")).trim();
      if (!answer || answer === "done") break;
      const [stepRate, stepSeconds] = answer.split(/\s+/).map(Number);
      const result = await phase(stepRate, stepSeconds, receivers, failed);
      process.stdout.write("STEP_RESULT " + JSON.stringify(result) + "\n");
      steps.push(result);
    }
    process.stdout.write("RESULT " + JSON.stringify({ clients, connected: clients - failed, connect_seconds: connectSeconds, steps }) + "\n");
  }
  publisher.close();
  for (const s of receivers) if (s) s.close();
  setTimeout(() => process.exit(0), 200);
}

// One publishing phase: `rate` messages/s for `seconds`, then drain; its own counters.
async function phase(rate, seconds, receivers, failed) {
  sentAt.clear();
  latencies.length = 0;
  deliveries.clear();
  delivered = 0; duplicates = 0; lastDelivery = 0;
  for (let i = 0; i < clients; i++) if (seenPerClient[i]) seenPerClient[i].clear();
  const droppedBefore = disconnects, reconnectsBefore = reconnects;
  await marker("PUBLISH_START");
  const cpuStart = process.cpuUsage();
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const pad = "x".repeat(size);
  // Only acknowledged messages are promised ("durable once acknowledged"): they are the
  // offered load; a refused or unanswered send is counted apart.
  const ackedIds = new Set();
  let refused = 0, unanswered = 0;
  const acks = [];
  firstSend = now();
  const base = nextId;
  nextId += total;
  for (let k = 0; k < total; k++) {
    const id = base + k;
    const due = firstSend + k * interval;
    const wait = due - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const head = `${id}|`;
    const text = head + pad.slice(head.length);
    sentAt.set(id, now());
    acks.push(
      publisher.timeout(drainTimeout).emitWithAck("chat:send", { text }).then(
        (ack) => { if (ack && ack.ok) ackedIds.add(id); else refused += 1; },
        () => { unanswered += 1; }
      )
    );
  }
  const publishSeconds = (now() - firstSend) / 1000;
  await Promise.all(acks);
  const receiving = clients - failed;
  const expected = ackedIds.size * receiving;
  const deliveredAcked = () => { let n = 0; for (const id of ackedIds) n += deliveries.get(id) || 0; return n; };
  const drainDeadline = now() + drainTimeout;
  let lastCount = -1, lastProgress = now();
  while (deliveredAcked() < expected && now() < drainDeadline && now() - lastProgress < stallTimeout) {
    if (delivered !== lastCount) { lastCount = delivered; lastProgress = now(); }
    await new Promise((r) => setTimeout(r, 20));
  }
  const drainSeconds = (now() - firstSend) / 1000 - publishSeconds;
  const cpu = process.cpuUsage(cpuStart);
  await marker("PUBLISH_END");

  // Receivers that kept their connection throughout: for them nothing may be missing.
  let kept = 0, lostKept = 0;
  for (let i = 0; i < clients; i++) {
    if (!receivers[i] || droppedClient[i]) continue;
    kept += 1;
    const seen = seenPerClient[i];
    for (const id of ackedIds) if (!seen.has(id)) lostKept += 1;
  }
  latencies.sort((a, b) => a - b);
  const span = Math.max(1e-9, (lastDelivery - firstSend) / 1000);
  const got = deliveredAcked();
  return {
    clients,
    rate,
    seconds,
    size,
    resume,
    deflate,
    sent: total,
    acked: ackedIds.size,
    refused,
    unanswered,
    offered_deliveries: expected,
    offered_per_second: (ackedIds.size * receiving) / Math.max(1e-9, publishSeconds),
    delivered: got,
    lost: expected - got,
    duplicates,
    delivered_ratio: expected ? got / expected : null,
    delivered_per_second: delivered / span,
    publish_seconds: publishSeconds,
    drain_seconds: drainSeconds,
    receivers_disconnected: disconnects - droppedBefore,
    reconnects: reconnects - reconnectsBefore,
    receivers_kept: kept,
    lost_kept: lostKept,
    latency_ms: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: latencies.at(-1) ?? null },
    loadgen_cpu_seconds_publishing: (cpu.user + cpu.system) / 1e6,
  };
}

main().catch((err) => { process.stderr.write(String(err && err.stack || err) + "\n"); process.exit(1); });
