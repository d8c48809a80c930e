// `npm run bench` (from the repository root or bench/). Options:
//   --only a,b        run only these parts: login login2fa verify refresh me (HTTP matrix),
//                     roundtrips, crypto (argon2 + per-op costs), scaleout, faults
//   --duration N      seconds per measured load run (default 5; 1-s warm-up before each)
//   --connections L   comma list (default 1,16,64)
// From the root, npm keeps `--only` for itself, so name the parts as bare words there:
//   npm run bench -- verify me duration=3
// or talk to the workspace directly: npm run bench -w bench -- --only verify --duration 3
// (also: node bench/src/run.js --only verify; BENCH_ONLY=verify BENCH_DURATION=3 npm run bench)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execSync } from "node:child_process";
import pg from "pg";
import { BENCH_DB, benchRedis, recreateBenchDatabase, startBenchPostgres, statementDelta, statementSnapshot } from "./lib/infra.js";
import { runProfile } from "./parts/profile.js";
import { HTTP_SCENARIOS, prepareTarget, renewRefreshSessions, requestsFor, runLoad, warmUp } from "./lib/load.js";
import { startRoundTripProxy } from "./lib/rt-proxy.js";
import { benchPasswordHash, oneShotPool, seedChallenges, seedPlainUsers, seedTwoFactorUsers } from "./lib/seed.js";
import { cpuMeter, referenceFramework, serverEnv, startServer } from "./lib/servers.js";
import { BENCH_DIR, backend, fmt, log, mdTable, sleep } from "./lib/util.js";
import { runCrypto } from "./parts/crypto.js";
import { parseArgs } from "./lib/args.js";
import { runScaleOut } from "./parts/scaleout.js";
import { runPgFault, runRedisFault } from "./parts/faults.js";


function machine() {
  const cpus = os.cpus();
  let pgVersion = "";
  return {
    cpu: `${cpus.length} × ${cpus[0]?.model ?? "?"}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAvgAtStart: os.loadavg().map((l) => l.toFixed(2)).join(" "),
    pgVersion,
    date: new Date().toISOString(),
    commit: (() => {
      try {
        return execSync("git rev-parse --short HEAD", { cwd: BENCH_DIR }).toString().trim();
      } catch {
        return "?";
      }
    })(),
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const startedAt = Date.now();
  const results = { machine: machine(), options: { ...opts, only: [...opts.only] } };
  log(`parts: ${[...opts.only].join(", ")}; ${opts.duration}s per run; connections ${opts.connections.join("/")}; load average ${results.machine.loadAvgAtStart}`);

  // Crypto first, alone: nothing else is running yet.
  if (opts.only.has("crypto")) results.crypto = await runCrypto();
  if ([...opts.only].every((p) => p === "crypto")) return finish(results, startedAt);

  const database = await startBenchPostgres();
  const cleanup = [];
  const stopAll = async () => {
    for (const fn of cleanup.reverse()) await fn().catch((err) => log("cleanup:", err.message));
    cleanup.length = 0;
  };
  process.on("SIGINT", () => void stopAll().finally(() => database.stop().finally(() => process.exit(130))));
  try {
    const { migrate } = backend("db/migrate.js");
    await recreateBenchDatabase(database.adminUrl, database.url, migrate);
    const db = new pg.Pool({ connectionString: database.url, max: 4 });
    const admin = new pg.Pool({ connectionString: database.adminUrl, max: 1 });
    db.on("error", () => {}); // PostgreSQL is stopped on purpose in the fault scenario
    admin.on("error", () => {});
    cleanup.push(() => db.end(), () => admin.end());
    results.machine.pgVersion = (await admin.query("SHOW server_version")).rows[0].server_version;
    results.machine.database = database.kind;
    log(`database: ${database.kind}, PostgreSQL ${results.machine.pgVersion}, database "${BENCH_DB}" recreated and migrated`);

    await benchPasswordHash();
    const plainUsers = await seedPlainUsers(db, 80); // ≥ one session per connection (refresh rotates)
    const pools = {
      plainUsers,
      challenges: oneShotPool(async (n) => seedChallenges(db, await seedTwoFactorUsers(db, n, "v")), { batch: 20_000 }),
      fresh2fa: oneShotPool((n) => seedTwoFactorUsers(db, n, "f"), { batch: 3_000 }),
    };
    const ctx = { opts, db, admin, database, pools, plainUsers, results, cleanup };

    const httpParts = Object.keys(HTTP_SCENARIOS).filter((s) => opts.only.has(s));
    if (httpParts.length || opts.only.has("roundtrips")) {
      const ours = await startServer("ours", { kind: "ours", port: 3901, env: serverEnv({ port: 3901, databaseUrl: database.url }) });
      cleanup.push(() => ours.stop());
      const reference = await startServer("reference", { kind: "reference", port: 3902, env: serverEnv({ port: 3902, databaseUrl: database.url }) });
      cleanup.push(() => reference.stop());
      for (const t of [ours, reference]) await prepareTarget(t, plainUsers);
      if (opts.only.has("roundtrips")) results.roundTrips = await runRoundTrips(ctx, database, Object.keys(HTTP_SCENARIOS));
      if (httpParts.length) results.http = await runMatrix(ctx, [ours, reference], httpParts);
      await ours.stop();
      await reference.stop();
    }
    if (opts.only.has("profile")) results.profile = await runProfile(ctx);
    if (opts.only.has("scaleout") || opts.only.has("faults")) {
      const redis = benchRedis();
      await redis.start();
      cleanup.push(() => redis.stop());
      ctx.redis = redis;
      if (opts.only.has("scaleout")) results.scaleOut = await runScaleOut(ctx);
      if (opts.only.has("faults")) {
        results.pgFault = await runPgFault(ctx);
        results.redisFault = await runRedisFault(ctx);
      }
    }
  } finally {
    await stopAll();
    await database.stop().catch(() => undefined);
  }
  finish(results, startedAt);
}

function finish(results, startedAt) {
  results.totalSeconds = Math.round((Date.now() - startedAt) / 1000);
  results.machine.loadAvgAtEnd = os.loadavg().map((l) => l.toFixed(2)).join(" ");
  writeReport(results);
}

/** The HTTP matrix: every scenario × connection count, ours then reference, same database. */
async function runMatrix(ctx, targets, scenarios) {
  const { opts, pools, admin } = ctx;
  const rows = [];
  const peak = {};
  // JIT warm-up: a fresh API process needs ~15 s of traffic before V8 has optimised the hot
  // paths (measured: verify-login at 16 connections went 505 → 583 → 645 req/s over three
  // consecutive 6-s runs); without this the first scenarios would measure the warm-up.
  for (const target of targets) await warmUp(target, pools);
  for (const scenario of scenarios) {
    for (const connections of opts.connections) {
      for (const target of targets) {
        const requests = () => requestsFor(scenario, target, pools);
        // enough never-used accounts for warm-up + run at twice the best rate seen so far
        const guess = Math.max(2 * (peak[scenario] ?? 0), scenario === "verify" ? 2000 : 300);
        const need = Math.ceil(guess * (opts.duration + 1)) + 500;
        if (scenario === "verify") await pools.challenges.ensure(need);
        if (scenario === "login2fa") await pools.fresh2fa.ensure(need);
        if (scenario === "refresh") await renewRefreshSessions(target, connections);
        await runLoad({ port: target.port, requests: requests(), connections, duration: 1 }); // warm-up
        await sleep(300); // requests the warm-up left in flight finish before the snapshot
        const before = await statementSnapshot(admin);
        const meter = cpuMeter(target.pid);
        const r = await runLoad({ port: target.port, requests: requests(), connections, duration: opts.duration });
        r.cpu = meter();
        await sleep(300);
        const stmts = statementDelta(before, await statementSnapshot(admin)).reduce((s, x) => s + x.calls, 0);
        // per request SENT: requests cut off at the end of the run were still executed
        r.sqlStatementsPerOk = r.sent ? stmts / r.sent : NaN;
        peak[scenario] = Math.max(peak[scenario] ?? 0, r.rps);
        rows.push({ scenario, server: target.name, ...r });
        log(
          `${scenario.padEnd(8)} ${target.name.padEnd(9)} c=${String(connections).padStart(2)}: ${fmt(r.rps)} req/s, p50 ${r.p50} ms, p97.5 ${r.p975} ms, p99 ${r.p99} ms, errors ${r.errors}` +
            `, SQL statements/req ${fmt(r.sqlStatementsPerOk, 2)}, CPU % API/PG/client ${fmt(r.cpu.api)}/${fmt(r.cpu.postgres)}/${fmt(r.cpu.loadGenerator)}` +
            `${r.errors ? ` ${JSON.stringify(r.statusCodes)}` : ""}`,
        );
        await sleep(300);
      }
    }
  }
  return rows;
}

/**
 * SQL round trips per request, counted on the wire: each server gets a second instance whose
 * DATABASE_URL points at a counting proxy; a fixed number of requests per scenario; the count
 * (Sync + Query messages) divided by the successful requests. pg_stat_statements shows which
 * statements they were.
 */
async function runRoundTrips(ctx, database, scenarios) {
  const { pools, admin, plainUsers } = ctx;
  const proxy = await startRoundTripProxy(database.port);
  const url = new URL(database.url);
  url.port = String(proxy.port);
  const servers = [
    await startServer("ours-rt", { kind: "ours", port: 3911, env: serverEnv({ port: 3911, databaseUrl: url.toString() }) }),
    await startServer("reference-rt", { kind: "reference", port: 3912, env: serverEnv({ port: 3912, databaseUrl: url.toString() }) }),
  ];
  const out = [];
  try {
    for (const s of servers) await prepareTarget(s, plainUsers, 4);
    await pools.challenges.ensure(2000);
    await pools.fresh2fa.ensure(600);
    for (const scenario of scenarios) {
      for (const s of servers) {
        const amount = scenario.startsWith("login") ? 40 : 200;
        if (scenario === "refresh") await renewRefreshSessions(s, 4);
        await runLoad({ port: s.port, requests: requestsFor(scenario, s, pools), connections: 4, amount: 20 }); // warm the pool
        proxy.reset();
        const before = await statementSnapshot(admin);
        const r = await runLoad({ port: s.port, requests: requestsFor(scenario, s, pools), connections: 4, amount });
        const statements = statementDelta(before, await statementSnapshot(admin));
        const perOk = proxy.counts.roundTrips / r.ok;
        out.push({
          scenario,
          server: s.name.replace("-rt", ""),
          requests: r.ok,
          errors: r.errors,
          roundTripsPerRequest: perOk,
          newConnections: proxy.counts.connections,
          statements: statements.slice(0, 6).map((x) => ({ perRequest: x.calls / r.ok, query: x.query.replace(/\s+/g, " ").slice(0, 140) })),
        });
        log(`round trips ${scenario.padEnd(8)} ${s.name.padEnd(12)}: ${fmt(perOk, 2)} per request (${r.ok} ok, ${r.errors} errors, ${proxy.counts.connections} new connections)`);
      }
    }
  } finally {
    for (const s of servers) await s.stop();
    await proxy.close();
  }
  return out;
}

function writeReport(results) {
  const dir = path.join(BENCH_DIR, "output");
  fs.mkdirSync(dir, { recursive: true });
  const name = process.env.BENCH_REPORT ?? "report"; // experiments write under another name
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(results, null, 2));
  const md = renderMarkdown(results);
  fs.writeFileSync(path.join(dir, `${name}.md`), md);
  console.log(`\n${md}\n`);
  log(`done in ${results.totalSeconds}s; bench/output/${name}.json and bench/output/${name}.md written`);
}

const cpu = (c) => (c ? `${fmt(c.api)}·${fmt(c.postgres)}·${fmt(c.loadGenerator)}` : "–");

export function renderMarkdown(r) {
  const m = r.machine;
  const out = [
    `## Run ${m.date} (commit ${m.commit})`,
    "",
    `- Machine: ${m.cpu}, ${m.memoryGiB} GiB RAM, ${m.os}, Node ${m.node}`,
    `- Database: ${m.database}, PostgreSQL ${m.pgVersion}`,
    `- Load average (1/5/15 min) at start: ${m.loadAvgAtStart}; at end: ${m.loadAvgAtEnd}`,
    `- Options: ${r.options.duration}s per run after a 1-s warm-up, connections ${r.options.connections.join("/")}; total ${r.totalSeconds}s`,
    `- Reference server: ${referenceFramework() === "express" ? "a minimal Express 5 app routing the reference's handlers (BENCH_REFERENCE_FRAMEWORK=express)" : "raw node:http (the default; BENCH_REFERENCE_FRAMEWORK=express routes the same handlers through a minimal Express app)"} + raw pg`,
    "",
  ];
  if (r.http) {
    out.push("### HTTP scenarios (ours vs reference)", "");
    const rows = [];
    const byKey = new Map(r.http.map((x) => [`${x.scenario}/${x.connections}/${x.server}`, x]));
    for (const x of r.http.filter((x) => x.server === "ours")) {
      const ref = byKey.get(`${x.scenario}/${x.connections}/reference`);
      rows.push([
        x.scenario,
        x.connections,
        `${fmt(x.rps)} / ${fmt(ref?.rps)}`,
        ref ? `${fmt((100 * x.rps) / ref.rps)} %` : "–",
        `${x.p50} / ${ref?.p50 ?? "–"}`,
        `${x.p975} / ${ref?.p975 ?? "–"}`,
        `${x.p99} / ${ref?.p99 ?? "–"}`,
        `${x.errors} / ${ref?.errors ?? "–"}`,
        `${fmt(x.sqlStatementsPerOk, 2)} / ${fmt(ref?.sqlStatementsPerOk, 2)}`,
        `${cpu(x.cpu)} / ${cpu(ref?.cpu)}`,
      ]);
    }
    out.push(
      "req/s counts successful (2xx) responses per second; login2fa counts both requests of a flow (flows/s = half). " +
        "Latencies are autocannon's (1-ms resolution), of 2xx responses. SQL statements per request sent, from pg_stat_statements deltas. " +
        "CPU: % of one core used during the run by the server under test, by PostgreSQL (all backends) and by the load generator (autocannon, same machine); the machine has 2 cores (200 %).",
      "",
      mdTable(["scenario", "conns", "req/s ours / ref", "ours÷ref", "p50 ms", "p97.5 ms", "p99 ms", "errors", "SQL stmts/req", "CPU % API·PG·client, ours / ref"], rows),
      "",
    );
  }
  if (r.roundTrips) {
    out.push("### SQL round trips per request (counted on the wire)", "");
    const rows = [];
    for (const x of r.roundTrips.filter((x) => x.server === "ours")) {
      const ref = r.roundTrips.find((y) => y.scenario === x.scenario && y.server === "reference");
      rows.push([x.scenario, fmt(x.roundTripsPerRequest, 2), fmt(ref?.roundTripsPerRequest, 2), `${x.requests} / ${ref?.requests}`, `${x.errors} / ${ref?.errors}`, `${x.newConnections} / ${ref?.newConnections}`]);
    }
    out.push(mdTable(["scenario", "ours", "reference", "requests (ours / ref)", "errors", "new PG connections during count"], rows), "");
    out.push("Statements behind them (ours, pg_stat_statements, calls per request):", "");
    for (const x of r.roundTrips.filter((x) => x.server === "ours")) {
      out.push(`- **${x.scenario}**: ${x.statements.map((s) => `${fmt(s.perRequest, 2)}× \`${s.query}\``).join("; ")}`);
    }
    out.push("");
  }
  if (r.crypto) {
    out.push("### argon2id (m=19456 KiB, t=2, p=1), in one Node process", "");
    out.push(mdTable(["operation", "concurrent", "per second", "mean ms each"], r.crypto.argon2.map((a) => [a.op, a.concurrency, fmt(a.perSecond, 1), fmt(a.meanMs, 1)])), "");
    out.push("### Per-request crypto, one operation at a time", "");
    out.push(mdTable(["operation", "µs"], r.crypto.ops.map((o) => [o.op, fmt(o.microseconds, 1)])), "");
  }
  if (r.profile) out.push(...r.profile.markdown, "");
  if (r.scaleOut) out.push(...r.scaleOut.markdown, "");
  if (r.pgFault) out.push(...r.pgFault.markdown, "");
  if (r.redisFault) out.push(...r.redisFault.markdown, "");
  return out.join("\n");
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
