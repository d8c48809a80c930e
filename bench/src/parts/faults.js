// Faults, scripted. Both run against the pair (WEB_CONCURRENCY=2) on the bench's own
// PostgreSQL and Redis, so the machine's shared servers are never touched.
//
// PostgreSQL stopped for 10 s under load: readers (GET /auth/me), verifiers (verify-login) and
// enrollers (register → 2FA setup → enable) run throughout; every request has a 15-s client
// timeout so a hang shows up as a number instead of stalling the bench. Then: no request over
// 5 s, 503 (not 500) while the database is away, recovery without restarting anything, no
// worker died, no lost user, no half-enabled 2FA.
//
// Redis stopped (SIGKILL, like a crash): with a small per-IP flood limit (RATE_LIMIT_IP_MAX=20)
// the limit is first shown to be shared by the pair (20 requests pass in total, not 20 per
// worker); with Redis gone the flood limits fail OPEN (documented choice, passOnStoreError),
// requests stay fast, nothing crashes, and the per-account code budget (in PostgreSQL) still
// answers 429; when Redis is back the limits apply again by themselves.
import http from "node:http";
import { anonymousXsrf, prepareTarget, sessionXsrf } from "../lib/load.js";
import { onFreshConnections } from "../lib/probe.js";
import { PASSWORD, generateTotp } from "../lib/seed.js";
import { serverEnv, startServer } from "../lib/servers.js";
import { cookieHeader, fetchCsrf, fmt, log, mdTable, parseSetCookie, percentile, request, sleep } from "../lib/util.js";
import { budgetCheck } from "./scaleout.js";

const PORT = 3931;
const CLIENT_TIMEOUT_MS = 15_000;

/** Runs `workers` loops of fn until `until()` is true; every request is recorded by fn. */
async function loops(workers, fn, until) {
  await Promise.all(Array.from({ length: workers }, async (_, i) => {
    while (!until()) await fn(i);
  }));
}

export async function runPgFault(ctx) {
  const { database, redis, pools, plainUsers, db } = ctx;
  const server = await startServer("ours-pgfault", {
    kind: "ours",
    port: PORT,
    env: serverEnv({ port: PORT, databaseUrl: database.url, redisUrl: redis.url, webConcurrency: 2 }),
  });
  const workersBefore = server.workerPids();
  const records = [];
  const enrolled = []; // { email, register, setup, enable }
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  try {
    await prepareTarget(server, plainUsers);
    const { csrf, sessions } = server;
    await pools.challenges.ensure(6000);
    const usersBefore = (await db.query(`SELECT count(*)::int AS n FROM "User"`)).rows[0].n;

    const t0 = Date.now();
    const timeline = { stopAt: 5_000, downFor: 10_000, endAfterRestart: 12_000 };
    let stopping = false;
    const rec = async (kind, opts) => {
      const t = Date.now() - t0;
      const r = await request(PORT, { ...opts, agent, timeoutMs: CLIENT_TIMEOUT_MS });
      records.push({ kind, t, ms: r.ms, status: r.status, code: r.body?.code, error: r.error });
      return r;
    };
    const xsrf = (cookies) => anonymousXsrf(server, cookies);

    const reader = async (i) => {
      await rec("me", { path: "/auth/me", headers: { cookie: cookieHeader({ access_token: sessions[i % sessions.length].access }) } });
      await sleep(20);
    };
    const verifier = async () => {
      const c = pools.challenges.take();
      if (!c) return sleep(100);
      await rec("verify", { method: "POST", path: "/auth/2fa/verify-login", headers: xsrf({ twofa_token: c.token }), body: { code: generateTotp(c.secret, Date.now()) } });
      await sleep(20);
    };
    const enroller = async () => {
      const email = `enroll-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@bench.test`;
      const entry = { email };
      enrolled.push(entry);
      const reg = await rec("register", { method: "POST", path: "/auth/register", headers: xsrf(), body: { email, password: PASSWORD } });
      entry.register = reg.status;
      if (reg.status !== 201) return sleep(100);
      const cookies = parseSetCookie(reg.headers["set-cookie"]);
      const session = { xsrf: { cookie: cookies["XSRF-TOKEN"], header: decodeURIComponent(cookies["XSRF-TOKEN"]) } };
      const auth = () => sessionXsrf(session, { access_token: cookies.access_token });
      const setup = await rec("setup", { method: "POST", path: "/auth/2fa/setup", headers: auth(), body: {} });
      entry.setup = setup.status;
      if (setup.status !== 200) return;
      const enable = await rec("enable", { method: "POST", path: "/auth/2fa/enable", headers: auth(), body: { token: generateTotp(setup.body.secret, Date.now()) } });
      entry.enable = enable.status;
    };

    let pgStoppedAt;
    let pgStartedAt;
    const until = () => stopping;
    const load = Promise.all([loops(12, reader, until), loops(4, verifier, until), loops(2, enroller, until)]);
    await sleep(timeline.stopAt);
    log("pg-fault: stopping PostgreSQL for 10 s under load");
    pgStoppedAt = Date.now() - t0;
    try {
      await database.stop();
      await sleep(timeline.downFor);
    } finally {
      // always bring it back, whatever happened meanwhile
      await database.start();
    }
    pgStartedAt = Date.now() - t0;
    log("pg-fault: PostgreSQL is back");
    await sleep(timeline.endAfterRestart);
    stopping = true;
    await load;
    const totalMs = Date.now() - t0;

    // ---- analysis ---------------------------------------------------------------------------
    const phase = (r) => (r.t < pgStoppedAt ? "before" : r.t < pgStartedAt ? "down" : "after");
    const phases = {};
    for (const r of records) {
      const p = (phases[phase(r)] ??= { requests: 0, statuses: {}, latencies: [] });
      p.requests++;
      const key = r.status || `error: ${r.error}`;
      p.statuses[key] = (p.statuses[key] ?? 0) + 1;
      p.latencies.push(r.ms);
    }
    for (const p of Object.values(phases)) {
      p.latencies.sort((a, b) => a - b);
      p.p50 = percentile(p.latencies, 50);
      p.p99 = percentile(p.latencies, 99);
      p.max = p.latencies.at(-1);
      delete p.latencies;
    }
    const overFive = records.filter((r) => r.ms > 5000).length;
    const serverErrors = records.filter((r) => r.status >= 500 && r.status !== 503).length;
    const firstOkAfter = records.filter((r) => r.t + r.ms >= pgStartedAt && (r.status === 200 || r.status === 201)).sort((a, b) => a.t + a.ms - (b.t + b.ms))[0];
    const recoverySeconds = firstOkAfter ? (firstOkAfter.t + firstOkAfter.ms - pgStartedAt) / 1000 : NaN;
    const lastWindow = records.filter((r) => r.t >= totalMs - 5000 && r.kind === "me");
    const lastWindowOk = lastWindow.filter((r) => r.status === 200).length;

    // ---- data checks (PostgreSQL is back) -----------------------------------------------------
    const registered = enrolled.filter((e) => e.register === 201).map((e) => e.email);
    const tried = enrolled.map((e) => e.email);
    const { rows: users } = await db.query(
      // issue 13: TOTP is a TotpCredential (secret) + maybe a TotpSetup (pending); "2FA on" is derived
      `SELECT u."email",
              (EXISTS (SELECT 1 FROM "TotpCredential" t WHERE t."userId" = u."id") OR EXISTS (SELECT 1 FROM "Passkey" p WHERE p."userId" = u."id")) AS "twoFactorEnabled",
              EXISTS (SELECT 1 FROM "TotpCredential" t WHERE t."userId" = u."id") AS "hasSecret",
              EXISTS (SELECT 1 FROM "TotpSetup" s WHERE s."userId" = u."id") AS "hasPending",
              (SELECT count(*)::int FROM "BackupCode" b WHERE b."userId" = u."id") AS "backupCodes"
       FROM "User" u WHERE u."email" = ANY($1)`,
      [tried],
    );
    const byEmail = new Map(users.map((u) => [u.email, u]));
    const lostUsers = registered.filter((e) => !byEmail.has(e));
    const halfEnabled = users.filter((u) => (u.twoFactorEnabled && (!u.hasSecret || u.hasPending || u.backupCodes !== 10)) || (!u.twoFactorEnabled && (u.hasSecret || u.backupCodes > 0)));
    const enableOkButOff = enrolled.filter((e) => e.enable === 200 && !byEmail.get(e.email)?.twoFactorEnabled);
    const enableFailedButOn = enrolled.filter((e) => e.enable !== undefined && e.enable !== 200 && byEmail.get(e.email)?.twoFactorEnabled);
    const { rows: globalHalf } = await db.query(
      // half-enabled now means: backup codes without any factor (or a factor enabled without its codes)
      `SELECT count(*)::int AS n FROM "User" u
       WHERE EXISTS (SELECT 1 FROM "BackupCode" b WHERE b."userId" = u."id")
         AND NOT EXISTS (SELECT 1 FROM "TotpCredential" t WHERE t."userId" = u."id")
         AND NOT EXISTS (SELECT 1 FROM "Passkey" p WHERE p."userId" = u."id")`,
    );
    const usersAfter = (await db.query(`SELECT count(*)::int AS n FROM "User"`)).rows[0].n;
    const workersAfter = server.workerPids();
    const result = {
      timeline: { pgStoppedAt, pgStartedAt, totalMs },
      phases,
      requests: records.length,
      overFiveSeconds: overFive,
      maxMs: Math.max(...records.map((r) => r.ms)),
      non503ServerErrors: serverErrors,
      recoverySeconds,
      lastFiveSeconds: { me: lastWindow.length, ok: lastWindowOk },
      serverAlive: server.alive(),
      workersBefore,
      workersAfter,
      workersRestarted: workersBefore.some((p) => !workersAfter.includes(p)),
      enrollment: {
        attempts: enrolled.length,
        registered: registered.length,
        enabled: enrolled.filter((e) => e.enable === 200).length,
        lostUsers: lostUsers.length,
        halfEnabled: halfEnabled.length,
        enableOkButOff: enableOkButOff.length,
        enableFailedButOn: enableFailedButOn.length,
      },
      usersBefore,
      usersAfter,
      globalHalfEnabled: globalHalf[0].n,
    };
    result.holds =
      overFive === 0 && serverErrors === 0 && result.serverAlive && !result.workersRestarted && lastWindowOk === lastWindow.length && lastWindow.length > 0 &&
      lostUsers.length === 0 && halfEnabled.length === 0 && globalHalf[0].n === 0 && enableOkButOff.length === 0 && usersAfter >= usersBefore;
    log(
      `pg-fault: ${records.length} requests, max ${fmt(result.maxMs)} ms, >5 s: ${overFive}, non-503 5xx: ${serverErrors}, recovered ${fmt(recoverySeconds, 2)} s after restart, ` +
        `lost users ${lostUsers.length}, half-enabled ${halfEnabled.length} → ${result.holds ? "holds" : "BROKEN"}`,
    );
    result.markdown = renderPg(result);
    return result;
  } finally {
    agent.destroy();
    await server.stop();
  }
}

function renderPg(r) {
  const rows = ["before", "down", "after"].filter((p) => r.phases[p]).map((p) => {
    const x = r.phases[p];
    return [p, x.requests, Object.entries(x.statuses).map(([k, v]) => `${k}: ${v}`).join(", "), fmt(x.p50), fmt(x.p99), fmt(x.max)];
  });
  const e = r.enrollment;
  return [
    "### Fault: PostgreSQL stopped for 10 s under load (pair + Redis; 12 readers, 4 verifiers, 2 enrollers)",
    "",
    `PostgreSQL stopped at t=${fmt(r.timeline.pgStoppedAt / 1000, 1)} s, back at t=${fmt(r.timeline.pgStartedAt / 1000, 1)} s, load until t=${fmt(r.timeline.totalMs / 1000, 1)} s.`,
    "",
    mdTable(["phase (by request start)", "requests", "statuses", "p50 ms", "p99 ms", "max ms"], rows),
    "",
    `- requests over 5 s: **${r.overFiveSeconds}** (max ${fmt(r.maxMs)} ms); 5xx other than 503: **${r.non503ServerErrors}**`,
    `- recovery: first success ${fmt(r.recoverySeconds, 2)} s after PostgreSQL was ready, no restart; last 5 s: ${r.lastFiveSeconds.ok}/${r.lastFiveSeconds.me} GET /auth/me OK`,
    `- processes: primary alive ${r.serverAlive ? "yes" : "**no**"}, workers ${r.workersBefore.join(",")} → ${r.workersAfter.join(",")} (${r.workersRestarted ? "**a worker was restarted**" : "none died"})`,
    `- enrollment flows: ${e.attempts} started, ${e.registered} registered (201), ${e.enabled} enabled (200); lost users: **${e.lostUsers}**; half-enabled 2FA: **${e.halfEnabled}** (any account: ${r.globalHalfEnabled}); enable 200 but off: ${e.enableOkButOff}; enable failed but on: ${e.enableFailedButOn}`,
    `- users in the database: ${r.usersBefore} before → ${r.usersAfter} after`,
    `- verdict: ${r.holds ? "**holds**" : "**BROKEN**"}`,
  ];
}

export async function runRedisFault(ctx) {
  const { database, redis, db } = ctx;
  // A fresh (empty) Redis: earlier parts left flood-limit counters in it.
  await redis.stop();
  await redis.start();
  const server = await startServer("ours-redisfault", {
    kind: "ours",
    port: PORT,
    env: serverEnv({ port: PORT, databaseUrl: database.url, redisUrl: redis.url, webConcurrency: 2, extra: { RATE_LIMIT_IP_MAX: "20" } }),
  });
  const workersBefore = server.workerPids();
  const LIMIT = 20;
  const burst = async (label, n = 30) => {
    const res = await onFreshConnections(PORT, async (send) => {
      const out = [];
      const headers = anonymousXsrf({ csrf });
      for (let i = 0; i < n; i++) out.push(await send({ method: "POST", path: "/auth/2fa/verify-login", headers, body: { code: "123456" } }));
      return out;
    });
    const statuses = {};
    for (const r of res) statuses[r.status || "error"] = (statuses[r.status || "error"] ?? 0) + 1;
    const workers = new Set(res.map((r) => r.servedBy).filter(Boolean));
    const passed = res.filter((r) => r.status !== 429).length;
    const maxMs = Math.max(...res.map((r) => r.ms));
    log(`redis-fault ${label}: ${JSON.stringify(statuses)} over ${workers.size} workers, max ${fmt(maxMs)} ms`);
    return { label, statuses, passed, workers: workers.size, maxMs };
  };
  // every POST carries a CSRF token, or it is refused (403) before any limiter sees it
  const csrf = await fetchCsrf(PORT);
  try {
    const up = await burst("Redis up");
    const login = async () => request(PORT, { method: "POST", path: "/auth/login", headers: anonymousXsrf({ csrf }), body: { email: "nobody@bench.test", password: "wrong password here" } });
    await redis.stop();
    log("redis-fault: Redis killed");
    await sleep(500);
    const down = await burst("Redis down");
    const loginDown = await login();
    const budgetDown = await budgetCheck(PORT, db, csrf);
    const healthDown = await request(PORT, { path: "/healthz" });
    await redis.start();
    log("redis-fault: Redis restarted (empty)");
    await sleep(3000); // node-redis reconnects (backoff up to 2 s)
    const back = await burst("Redis back");
    const result = {
      limit: LIMIT,
      up,
      down,
      back,
      loginWhileDown: loginDown.status,
      budgetWhileDown: budgetDown,
      healthWhileDown: healthDown.status,
      serverAlive: server.alive(),
      workersRestarted: workersBefore.some((p) => !server.workerPids().includes(p)),
    };
    result.holds =
      up.passed === LIMIT && down.passed === 30 && !down.statuses[500] && down.maxMs < 1000 && back.passed === LIMIT &&
      budgetDown.holds && loginDown.status === 401 && healthDown.status === 200 && result.serverAlive && !result.workersRestarted;
    result.markdown = renderRedis(result);
    return result;
  } finally {
    await redis.start().catch(() => undefined);
    await server.stop();
  }
}

function renderRedis(r) {
  const row = (x, expect) => [x.label, JSON.stringify(x.statuses), x.passed, x.workers, fmt(x.maxMs), expect];
  return [
    `### Fault: Redis killed (pair, RATE_LIMIT_IP_MAX=${r.limit} for this check)`,
    "",
    "30 requests to /auth/2fa/verify-login from one IP, each on a new connection (spread over both workers):",
    "",
    mdTable(
      ["Redis", "statuses", "passed the flood limit", "workers hit", "max ms", "expected"],
      [
        row(r.up, `${r.limit} pass in total (shared by the pair), then 429`),
        row(r.down, "all pass: flood limits fail open, no 5xx, no wait"),
        row(r.back, `limits apply again by themselves: ${r.limit} pass, then 429`),
      ],
    ),
    "",
    `- while Redis was down: wrong-password login → ${r.loginWhileDown}; /healthz → ${r.healthWhileDown}; per-account code budget (PostgreSQL) → ${r.budgetWhileDown.rows.map((x) => x.status).join(", ")} (${r.budgetWhileDown.holds ? "holds" : "**BROKEN**"})`,
    `- processes: primary alive ${r.serverAlive ? "yes" : "**no**"}, ${r.workersRestarted ? "**a worker was restarted**" : "no worker died"}`,
    `- verdict: ${r.holds ? "**holds** (documented fail-open of the flood limits; the code budget stays)" : "**BROKEN**"}`,
  ];
}
