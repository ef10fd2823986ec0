// The agenda bench's reference: a minimal Node.js `http` server sending the same bytes
// (and the same headers) forumlive sends for GET /api/v1/agenda, for every request.
//   node bench/agenda_reference.mjs <port> <body file> <etag>
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

const [port, file, etag] = process.argv.slice(2);
const body = readFileSync(file);
const headers = {
  "Content-Type": "application/json; charset=utf-8",
  "Content-Length": body.length,
  ETag: etag,
  "Cache-Control": "public, no-cache",
};
const server = createServer((req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(port), "127.0.0.1", () => process.stdout.write(`LISTENING ${server.address().port}\n`));
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
