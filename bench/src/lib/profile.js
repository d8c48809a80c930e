// Where a server's CPU time goes, from a V8 .cpuprofile (node --cpu-prof): self time summed by
// the category of the code it was spent in (the package or Node subsystem of each frame's URL),
// and by "bottom-up owner": the first frame, walking up from the sampled one, that belongs to a
// category other than node internals/GC — so time in crypto or JSON inside jsonwebtoken counts
// as JWT, time in Buffer code under pg counts as the database client.
import fs from "node:fs";

const CATEGORIES = [
  ["JWT (jsonwebtoken, jws)", /node_modules\/(jsonwebtoken|jws|jwa|lodash\.)/],
  ["CSRF (csrf-csrf)", /node_modules\/csrf-csrf/],
  ["cookies (cookie-parser, cookie)", /node_modules\/(cookie-parser|cookie|cookie-signature)\//],
  ["body parsing (body-parser, raw-body, iconv)", /node_modules\/(body-parser|raw-body|iconv-lite|type-is|content-type|media-typer|bytes)\//],
  ["security headers (helmet)", /node_modules\/helmet/],
  ["rate limits (express-rate-limit)", /node_modules\/express-rate-limit/],
  ["logging (pino, pino-http)", /node_modules\/(pino|pino-http|pino-std-serializers|sonic-boom|fast-redact|thread-stream|on-exit-leak-free|quick-format-unescaped|atomic-sleep|safe-stable-stringify)\//],
  ["Prisma client + adapter", /node_modules\/(@prisma|\.prisma)\//],
  ["pg driver", /node_modules\/(pg|pg-protocol|pg-pool|pg-types|postgres-array|postgres-date|postgres-interval|postgres-bytea|pg-cloudflare|pg-connection-string)\//],
  ["Express + router", /node_modules\/(express|router|finalhandler|send|serve-static|path-to-regexp|depd|encodeurl|escape-html|parseurl|statuses|on-finished|vary|proxy-addr|forwarded|ipaddr\.js|accepts|negotiator|fresh|etag|mime|range-parser|merge-descriptors|setprototypeof|qs|debug|ms|http-errors)\//],
  ["zod", /node_modules\/zod/],
  ["argon2", /node_modules\/argon2/],
  ["speakeasy (TOTP)", /node_modules\/(speakeasy|base32\.js)/],
  ["TwoFA backend code", /backend\/dist\//],
  ["reference server code", /bench\/src\/reference-server/],
];
const NODE_HTTP = /^node:(_http|http|net|stream|internal\/(http|streams|stream_base|net|dns|js_stream))|node:_http/;

function categoryOf(frame) {
  const url = frame.url ?? "";
  for (const [name, re] of CATEGORIES) if (re.test(url)) return name;
  if (frame.functionName === "(garbage collector)") return "GC";
  if (frame.functionName === "(idle)" || frame.functionName === "(program)") return frame.functionName;
  if (NODE_HTTP.test(url)) return "Node http/net";
  if (url.startsWith("node:")) return "Node internals (other)";
  if (!url) return "native (crypto, JSON, Buffer, …)";
  return "other";
}
const INTERNAL = new Set(["Node internals (other)", "native (crypto, JSON, Buffer, …)", "GC", "other"]);

/** { total ms of busy time, rows: [{category, ms, share}] } by owner category. */
export function summarizeProfile(file) {
  const profile = JSON.parse(fs.readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const owner = new Map();
  const ownerOf = (id) => {
    if (owner.has(id)) return owner.get(id);
    const node = byId.get(id);
    let cat = categoryOf(node.callFrame);
    if (INTERNAL.has(cat) && cat !== "GC") {
      const p = parent.get(id);
      const up = p !== undefined ? ownerOf(p) : null;
      if (up && !INTERNAL.has(up) && up !== "(root)") cat = up;
    }
    if (node.callFrame.functionName === "(root)") cat = "(root)";
    owner.set(id, cat);
    return cat;
  };
  const dt = profile.timeDeltas;
  const ms = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const cat = ownerOf(profile.samples[i]);
    ms.set(cat, (ms.get(cat) ?? 0) + (dt[i] ?? 0) / 1000);
  }
  ms.delete("(idle)");
  const busy = [...ms.values()].reduce((a, b) => a + b, 0);
  const rows = [...ms.entries()].map(([category, t]) => ({ category, ms: t, share: t / busy })).sort((a, b) => b.ms - a.ms);
  return { busyMs: busy, rows };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  for (const file of process.argv.slice(2)) {
    const { busyMs, rows } = summarizeProfile(file);
    console.log(`\n${file}: busy ${busyMs.toFixed(0)} ms`);
    for (const r of rows) console.log(`${(r.share * 100).toFixed(1).padStart(5)} %  ${r.ms.toFixed(0).padStart(6)} ms  ${r.category}`);
  }
}
