// Scale-out: the API as 1 and as 2 instances (node:cluster, WEB_CONCURRENCY) on ONE PostgreSQL
// and ONE Redis; throughput of both, then the security rules checked against the pair:
//   - the race: 20 concurrent verify-login with one challenge and its right code → exactly one 200;
//   - the guessing budget: 5 wrong codes spread over several challenges → 429, and then even
//     the right code on a fresh challenge → 429.
// Every check request goes on its own connection and `ss` names the worker that served it.
import { prepareTarget, renewRefreshSessions, requestsFor, runLoad, warmUp } from "../lib/load.js";
import { onFreshConnections } from "../lib/probe.js";
import { generateTotp, seedChallenges, seedTwoFactorUsers } from "../lib/seed.js";
import { cpuMs, cpuMeter, serverEnv, startServer } from "../lib/servers.js";
import { cookieHeader, fmt, log, mdTable, sleep } from "../lib/util.js";

const PORT = 3921;

export async function runScaleOut(ctx) {
  const { opts, database, redis, pools, plainUsers } = ctx;
  const scenarios = ["verify", "me", "login"];
  const connections = 64;
  const rows = [];
  let checks;
  for (const instances of [1, 2]) {
    const server = await startServer(`ours-x${instances}`, {
      kind: "ours",
      port: PORT,
      env: serverEnv({ port: PORT, databaseUrl: database.url, redisUrl: redis.url, webConcurrency: instances }),
    });
    try {
      await prepareTarget(server, plainUsers);
      await warmUp(server, pools);
      for (const scenario of scenarios) {
        if (scenario === "verify") await pools.challenges.ensure(6000 * (opts.duration + 1));
        if (scenario === "refresh") await renewRefreshSessions(server, connections);
        await runLoad({ port: PORT, requests: requestsFor(scenario, server, pools), connections, duration: 1 });
        const procs = instances > 1 ? server.workerPids() : [server.pid];
        const cpuBefore = procs.map(cpuMs);
        const meter = cpuMeter(server.pid);
        const r = await runLoad({ port: PORT, requests: requestsFor(scenario, server, pools), connections, duration: opts.duration });
        r.cpu = meter();
        const cpu = procs.map((p, i) => (cpuMs(p) - cpuBefore[i]) / (r.seconds * 10)); // % of one core
        rows.push({ instances, scenario, ...r, cpuPercentPerProcess: cpu });
        log(`scale-out x${instances} ${scenario.padEnd(6)} c=${connections}: ${fmt(r.rps)} req/s, p99 ${r.p99} ms, errors ${r.errors}, CPU per process ${cpu.map((c) => `${fmt(c)}%`).join(" + ")}`);
        await sleep(300);
      }
      if (instances === 2) checks = await pairChecks(ctx, server);
    } finally {
      await server.stop();
    }
  }
  return { rows, checks, markdown: render(rows, checks) };
}

/** A six-digit code that is wrong for every step in the ±1 window. */
export function wrongCode(secret) {
  const now = Date.now();
  const valid = new Set([-1, 0, 1].map((d) => generateTotp(secret, now + d * 30_000)));
  let n = (Number(generateTotp(secret, now)) + 500_000) % 1_000_000;
  while (valid.has(String(n).padStart(6, "0"))) n = (n + 1) % 1_000_000;
  return String(n).padStart(6, "0");
}

const verifyOpts = (csrf, token, code) => ({
  method: "POST",
  path: "/auth/2fa/verify-login",
  headers: { cookie: cookieHeader({ twofa_token: token, "XSRF-TOKEN": csrf.cookie }), "x-xsrf-token": csrf.header },
  body: { code },
});

/** The race, several rounds: N concurrent verify-login with one token and one right code. */
export async function raceCheck(port, db, csrf, { rounds = 5, concurrency = 20 } = {}) {
  const out = [];
  for (let round = 0; round < rounds; round++) {
    const [c] = await seedChallenges(db, await seedTwoFactorUsers(db, 1, "r"));
    const code = generateTotp(c.secret, Date.now());
    const responses = await onFreshConnections(port, (send) => Promise.all(Array.from({ length: concurrency }, () => send(verifyOpts(csrf, c.token, code)))));
    const statuses = {};
    for (const r of responses) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const workers = {};
    for (const r of responses) workers[r.servedBy ?? "?"] = (workers[r.servedBy ?? "?"] ?? 0) + 1;
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM "AuditEvent" WHERE "userId" = $1 AND "type" = 'LOGIN_SUCCESS'`, [c.id]);
    out.push({ round, statuses, workers, ok200: statuses[200] ?? 0, loginSuccessAudits: rows[0].n, holds: (statuses[200] ?? 0) === 1 && rows[0].n === 1 });
  }
  return out;
}

/** The account budget: wrong codes spread over challenges (and workers) until 429. */
export async function budgetCheck(port, db, csrf) {
  const [user] = await seedTwoFactorUsers(db, 1, "g");
  const challenges = await seedChallenges(db, [user, user, user, user]);
  const bad = wrongCode(user.secret);
  const plan = [0, 0, 1, 1, 2]; // 5 wrong codes over 3 challenges
  const steps = await onFreshConnections(port, async (send) => {
    const done = [];
    for (const i of plan) done.push(await send(verifyOpts(csrf, challenges[i].token, bad)));
    done.push(await send(verifyOpts(csrf, challenges[3].token, generateTotp(user.secret, Date.now())))); // right code, fresh challenge
    return done;
  });
  const rows = steps.map((r, i) => ({
    attempt: i + 1,
    what: i < plan.length ? `wrong code, challenge ${plan[i] + 1}` : "RIGHT code, challenge 4",
    status: r.status,
    code: r.body?.code,
    attemptsRemaining: r.body?.attemptsRemaining,
    retryAfter: r.headers?.["retry-after"],
    servedBy: r.servedBy,
  }));
  const statuses = rows.map((r) => r.status);
  const holds = statuses.slice(0, 4).every((s) => s === 400) && statuses[4] === 429 && statuses[5] === 429 && !!rows[5].retryAfter;
  return { rows, holds };
}

async function pairChecks(ctx, server) {
  const { db } = ctx;
  const csrf = server.csrf;
  const workers = server.workerPids();
  const race = await raceCheck(PORT, db, csrf);
  const budget = await budgetCheck(PORT, db, csrf);
  const racedOnBoth = race.every((r) => Object.keys(r.workers).filter((w) => w !== "?").length >= 2);
  const budgetOnBoth = new Set(budget.rows.map((r) => r.servedBy).filter(Boolean)).size >= 2;
  log(`pair: race ${race.map((r) => JSON.stringify(r.statuses)).join(" ")} → ${race.every((r) => r.holds) ? "holds" : "BROKEN"}; served by ${JSON.stringify(race[0].workers)}`);
  log(`pair: budget ${budget.rows.map((r) => `${r.status}@${r.servedBy}`).join(" ")} → ${budget.holds ? "holds" : "BROKEN"}`);
  return { workers, race, budget, racedOnBoth, budgetOnBoth };
}

function render(rows, checks) {
  const md = ["### Scale-out: 1 vs 2 instances (node:cluster, WEB_CONCURRENCY), one PostgreSQL + one Redis, 64 connections", ""];
  const table = [];
  for (const scenario of [...new Set(rows.map((r) => r.scenario))]) {
    const one = rows.find((r) => r.scenario === scenario && r.instances === 1);
    const two = rows.find((r) => r.scenario === scenario && r.instances === 2);
    table.push([
      scenario,
      `${fmt(one?.rps)} / ${fmt(two?.rps)}`,
      one && two ? `${fmt(two.rps / one.rps, 2)}×` : "–",
      `${one?.p50} / ${two?.p50}`,
      `${one?.p99} / ${two?.p99}`,
      `${one?.errors} / ${two?.errors}`,
      `${one?.cpuPercentPerProcess.map((c) => fmt(c)).join("+")} / ${two?.cpuPercentPerProcess.map((c) => fmt(c)).join("+")}`,
      `${fmt(one?.cpu.postgres)} / ${fmt(two?.cpu.postgres)}`,
      `${fmt(one?.cpu.loadGenerator)} / ${fmt(two?.cpu.loadGenerator)}`,
    ]);
  }
  md.push(mdTable(["scenario", "req/s 1 / 2 instances", "2÷1", "p50 ms", "p99 ms", "errors", "API CPU % of a core (per process)", "PostgreSQL CPU %", "load generator CPU %"], table), "");
  if (checks) {
    md.push(`Checks against the pair (workers ${checks.workers.join(", ")}):`, "");
    md.push(
      mdTable(
        ["race round", "20 concurrent verify-login, one challenge: statuses", "served by (worker pid: requests)", "LOGIN_SUCCESS audits", "exactly one 200"],
        checks.race.map((r) => [r.round + 1, JSON.stringify(r.statuses), JSON.stringify(r.workers), r.loginSuccessAudits, r.holds ? "yes" : "**NO**"]),
      ),
      "",
      mdTable(
        ["attempt", "request", "status", "code", "attemptsRemaining", "Retry-After", "served by"],
        checks.budget.rows.map((r) => [r.attempt, r.what, r.status, r.code ?? "", r.attemptsRemaining ?? "", r.retryAfter ?? "", r.servedBy ?? "?"]),
      ),
      "",
      `Guessing budget across challenges and workers: ${checks.budget.holds ? "holds (5th wrong code → 429; the right code afterwards → 429 with Retry-After)" : "**BROKEN**"}; ` +
        `race requests spread over both workers: ${checks.racedOnBoth ? "yes" : "no"}; budget requests over both workers: ${checks.budgetOnBoth ? "yes" : "no"}.`,
    );
  }
  return md;
}
