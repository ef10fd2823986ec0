// The reference: a minimal Node.js server on npm socket.io 4.8 doing the same broadcast.
// One namespace /live, one room; chat:send is acknowledged and broadcast to the room with
// the same payload shape forumlive sends. No persistence, no auth: the floor to compare to.
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.argv[2] || 0);
const http = createServer();
const io = new Server(http, { transports: ["websocket"], maxHttpBufferSize: 16 * 1024 });
const live = io.of("/live");
let seq = 0;

live.on("connection", (socket) => {
  socket.join("room");
  socket.emit("room:welcome", { session_id: 1, chat: { messages: [], last_seq: seq } });
  socket.on("chat:send", (data, ack) => {
    seq += 1;
    const at = new Date().toISOString();
    const message = {
      seq,
      text: String(data && data.text),
      author: { public_id: "0123456789abcdef0123456789abcdef", name: "Publisher", role: "participant" },
      at,
    };
    live.to("room").emit("chat:message", message);
    if (typeof ack === "function") ack({ ok: true, seq, at });
  });
});

http.listen(port, "127.0.0.1", () => {
  process.stdout.write(`LISTENING ${http.address().port}\n`);
});
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
