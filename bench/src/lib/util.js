// Small helpers shared by the bench: HTTP without a framework, cookies, timing, formatting.
import http from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const REPO_ROOT = path.resolve(BENCH_DIR, "..");
export const BACKEND_DIST = path.join(REPO_ROOT, "backend/dist");

/** require() for the CommonJS backend build (backend/dist) and CJS packages. */
export const require = createRequire(import.meta.url);
export const backend = (rel) => require(path.join(BACKEND_DIST, rel));

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * One HTTP request with node:http. `agent: false` opens a fresh TCP connection (so the node
 * cluster primary hands it to the next worker). Never hangs: `timeoutMs` aborts it.
 */
export function request(port, { method = "GET", path: p = "/", headers = {}, body, agent, timeoutMs = 15_000 } = {}) {
  const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method,
        path: p,
        agent,
        headers: { ...(payload !== undefined ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}), ...headers },
      },
      (res) => {
        const localPort = res.socket?.localPort; // read now: a keep-alive socket is detached at 'end'
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, body: json, text, ms: performance.now() - started, localPort });
        });
        res.on("error", (err) => resolve({ status: 0, error: err.message, ms: performance.now() - started }));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on("error", (err) => resolve({ status: 0, error: err.message, ms: performance.now() - started }));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** name → raw (still encoded) value, from Set-Cookie headers (array or string). */
export function parseSetCookie(setCookie) {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const out = {};
  for (const line of list) {
    const first = line.split(";")[0];
    const eq = first.indexOf("=");
    if (eq > 0) out[first.slice(0, eq).trim()] = first.slice(eq + 1);
  }
  return out;
}

export const cookieHeader = (cookies) =>
  Object.entries(cookies)
    .filter(([, v]) => v !== undefined && v !== "")
    .map(([k, v]) => `${k}=${v}`)
    .join("; ");

/** A CSRF pair from GET /auth/csrf: the cookie (raw) and the header value (decoded). */
export async function fetchCsrf(port) {
  const res = await request(port, { path: "/auth/csrf" });
  const raw = parseSetCookie(res.headers?.["set-cookie"])["XSRF-TOKEN"];
  if (!raw) throw new Error(`GET /auth/csrf on port ${port} set no XSRF-TOKEN cookie (status ${res.status})`);
  return { cookie: raw, header: decodeURIComponent(raw) };
}

export async function waitFor(fn, { timeoutMs = 30_000, intervalMs = 100, what = "condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await fn()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export const fmt = (n, digits = 0) =>
  n === undefined || n === null || Number.isNaN(n) ? "–" : Number(n).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function log(...args) {
  const t = new Date().toISOString().slice(11, 19);
  console.log(`[bench ${t}]`, ...args);
}

/** Markdown table from a header row and rows of cells. */
export function mdTable(header, rows) {
  const line = (cells) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
