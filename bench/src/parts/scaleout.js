// Scale-out: the API as 1 process, as 2 node:cluster workers (WEB_CONCURRENCY=2) and as 2
// separate processes behind nginx, all on ONE PostgreSQL and ONE Redis; throughput of each
// (measured side by side, see runScaleOut), then the security rules checked against the pairs:
//   - the race: 20 concurrent verify-login with one challenge and its right code → exactly one 200;
//   - the guessing budget: 5 wrong codes spread over several challenges → 429, and then even
//     the right code on a fresh challenge → 429.
// Every check request goes on its own connection; against the cluster `ss` names the worker that
// served it. The nginx pair is two API processes (two ports, TRUST_PROXY=1) behind an nginx the
// bench starts itself (lib/nginx.js); the checks go through nginx and each answer names its
// instance in the X-Upstream header nginx adds. Without nginx on the machine those rows are
// skipped with a line saying so.
import http from "node:http";
import { anonymousXsrf, prepareTarget, renewRefreshSessions, requestsFor, runLoad, warmUp } from "../lib/load.js";
import { NGINX_MISSING, findNginx, startNginx } from "../lib/nginx.js";
import { onFreshConnections } from "../lib/probe.js";
import { PASSWORD, generateTotp, seedChallenges, seedPlainUsers, seedTwoFactorUsers } from "../lib/seed.js";
import { cpuMs, cpuMeter, serverEnv, startServer, treeCpuMs } from "../lib/servers.js";
import { cookieHeader, fmt, log, mdTable, request, sleep } from "../lib/util.js";

const PORT_ONE = 3920; // 1 process
const PORT = 3921; // node:cluster, 2 workers
const NGINX_PORT = 3940;
const INSTANCE_PORTS = [3941, 3942];

/**
 * All setups run at once (idle ones cost next to nothing) and every scenario is measured on them
 * back to back, the order reversed every other scenario: other work on this shared box comes and
 * goes within a minute, and measuring the setups one after another (as this part first did) put
 * every change of that load on whichever setup came last.
 */
export async function runScaleOut(ctx) {
  const { opts, pools, plainUsers } = ctx;
  const scenarios = ["verify", "me", "login"];
  const connections = 64;
  const rows = [];
  const setups = [];
  let checks;
  let nginx;
  try {
    setups.push(await clusterSetup(ctx, 1, PORT_ONE));
    setups.push(await clusterSetup(ctx, 2, PORT));
    nginx = await nginxSetup(ctx);
    if (!nginx.skipped) setups.push(nginx.setup);
    for (const s of setups) {
      await prepareTarget(s.target, plainUsers);
      await warmUp(s.target, pools); // behind nginx: round robin, so both instances get it
    }
    for (const [k, scenario] of scenarios.entries()) {
      const order = setups.filter((s) => s.scenarios.includes(scenario));
      if (k % 2) order.reverse();
      for (const s of order) {
        if (scenario === "verify") await pools.challenges.ensure(6000 * (opts.duration + 1));
        if (scenario === "refresh") await renewRefreshSessions(s.target, connections);
        const port = s.target.port;
        await runLoad({ port, requests: requestsFor(scenario, s.target, pools), connections, duration: 1 });
        const procs = s.apiPids();
        const cpuBefore = procs.map(cpuMs);
        const nginxBefore = s.nginxPid ? treeCpuMs(s.nginxPid) : 0; // master + worker
        const meter = cpuMeter(s.meterPid);
        const r = await runLoad({ port, requests: requestsFor(scenario, s.target, pools), connections, duration: opts.duration });
        r.cpu = meter();
        const pct = (ms) => ms / (r.seconds * 10); // % of one core
        const cpu = procs.map((p, i) => pct(cpuMs(p) - cpuBefore[i]));
        const nginxCpu = s.nginxPid ? pct(treeCpuMs(s.nginxPid) - nginxBefore) : undefined;
        rows.push({ instances: s.key, scenario, ...r, cpuPercentPerProcess: cpu, nginxCpuPercent: nginxCpu });
        log(
          `scale-out ${s.label.padEnd(23)} ${scenario.padEnd(6)} c=${connections}: ${fmt(r.rps)} req/s, p99 ${r.p99} ms, errors ${r.errors}` +
            `${r.errors ? ` ${JSON.stringify(r.statusCodes)}` : ""}, CPU per process ${cpu.map((c) => `${fmt(c)}%`).join(" + ")}` +
            `${nginxCpu === undefined ? "" : `, nginx ${fmt(nginxCpu)}%`}`,
        );
        await sleep(300);
      }
    }
    checks = await pairChecks(ctx, setups[1].server);
    if (!nginx.skipped) {
      nginx.checks = await nginxChecks(ctx, nginx.setup.target, nginx.setup.instances);
      nginx.alive = nginx.setup.alive();
    }
  } finally {
    for (const s of setups.reverse()) await s.stop();
  }
  const nginxResult = nginx?.skipped
    ? { skipped: nginx.skipped }
    : { nginx: nginx.info, instances: nginx.setup.instances.map((s) => ({ name: s.name, port: s.port, pid: s.pid })), checks: nginx.checks, alive: nginx.alive };
  return { rows, checks, nginx: nginxResult, markdown: render(rows, checks, nginxResult) };
}

/** The API as 1 process or as a node:cluster of 2 workers (WEB_CONCURRENCY) on one port. */
async function clusterSetup(ctx, instances, port) {
  const { database, redis } = ctx;
  const server = await startServer(`ours-x${instances}`, {
    kind: "ours",
    port,
    env: serverEnv({ port, databaseUrl: database.url, redisUrl: redis.url, webConcurrency: instances }),
  });
  return {
    key: instances,
    label: instances === 1 ? "1 process" : "node:cluster, 2 workers",
    scenarios: ["verify", "me", "login"],
    server,
    target: server,
    apiPids: () => (instances > 1 ? server.workerPids() : [server.pid]),
    meterPid: server.pid,
    stop: () => server.stop(),
  };
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
// servedBy(response): which instance answered (default: the worker pid `ss` found holding the
// connection; behind nginx: its X-Upstream header).
const byConnection = (r) => r.servedBy;

export async function raceCheck(port, db, csrf, { rounds = 5, concurrency = 20, servedBy = byConnection } = {}) {
  const out = [];
  for (let round = 0; round < rounds; round++) {
    const [c] = await seedChallenges(db, await seedTwoFactorUsers(db, 1, "r"));
    const code = generateTotp(c.secret, Date.now());
    const responses = await onFreshConnections(port, (send) => Promise.all(Array.from({ length: concurrency }, () => send(verifyOpts(csrf, c.token, code)))));
    const statuses = {};
    for (const r of responses) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const workers = {};
    for (const r of responses) workers[servedBy(r) ?? "?"] = (workers[servedBy(r) ?? "?"] ?? 0) + 1;
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM "AuditEvent" WHERE "userId" = $1 AND "type" = 'LOGIN_SUCCESS'`, [c.id]);
    out.push({ round, statuses, workers, ok200: statuses[200] ?? 0, loginSuccessAudits: rows[0].n, holds: (statuses[200] ?? 0) === 1 && rows[0].n === 1 });
  }
  return out;
}

/** The account budget: wrong codes spread over challenges (and workers) until 429. */
export async function budgetCheck(port, db, csrf, { servedBy = byConnection } = {}) {
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
    servedBy: servedBy(r),
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

/**
 * The pair as two separate API processes (ports 3941, 3942; same database, the bench's Redis,
 * TRUST_PROXY=1) behind nginx on 3940 (me and verify only: login at 64 connections measures the
 * argon2 admission queue, not the proxy). { skipped } when nginx is not installed.
 */
async function nginxSetup(ctx) {
  const { database, redis } = ctx;
  const bin = findNginx();
  if (!bin) {
    log(`scale-out behind nginx skipped: ${NGINX_MISSING}`);
    return { skipped: NGINX_MISSING };
  }
  const instances = [];
  let proxy;
  const stop = async () => {
    await proxy?.stop();
    for (const s of instances) await s.stop();
  };
  try {
    for (const [i, port] of INSTANCE_PORTS.entries()) {
      const env = serverEnv({ port, databaseUrl: database.url, redisUrl: redis.url, extra: { TRUST_PROXY: "1" } });
      instances.push(await startServer(`ours-nginx-${"ab"[i]}`, { kind: "ours", port, env }));
    }
    proxy = await startNginx({ bin, port: NGINX_PORT, upstreams: INSTANCE_PORTS });
  } catch (err) {
    await stop();
    throw err;
  }
  log(`${proxy.version || "nginx"} on 127.0.0.1:${NGINX_PORT} (pid ${proxy.pid}, ${proxy.conf}) → instances ${instances.map((s) => `${s.port} (pid ${s.pid})`).join(", ")}`);
  return {
    info: { version: proxy.version, pid: proxy.pid, port: NGINX_PORT, conf: proxy.conf },
    setup: {
      key: "nginx",
      label: "2 processes + nginx",
      scenarios: ["verify", "me"],
      instances,
      target: { name: "nginx", port: NGINX_PORT },
      apiPids: () => instances.map((s) => s.pid),
      meterPid: proxy.pid, // only its PostgreSQL and load-generator figures are used
      nginxPid: proxy.pid,
      alive: () => proxy.alive() && instances.every((s) => s.alive()),
      stop,
    },
  };
}

/** X-Upstream (nginx's $upstream_addr) of a response: the instance that served it. */
const upstreamOf = (r) => r.headers?.["x-upstream"];

async function nginxChecks(ctx, target, instances) {
  const { db } = ctx;
  const race = await raceCheck(NGINX_PORT, db, target.csrf, { servedBy: upstreamOf });
  const budget = await budgetCheck(NGINX_PORT, db, target.csrf, { servedBy: upstreamOf });
  const both = (names) => INSTANCE_PORTS.every((p) => names.includes(`127.0.0.1:${p}`));
  const racedOnBoth = race.every((r) => both(Object.keys(r.workers)));
  const budgetOnBoth = both(budget.rows.map((r) => r.servedBy));
  const clientAddress = await clientAddressCheck(ctx, target, instances[0]);
  log(`nginx: race ${race.map((r) => JSON.stringify(r.statuses)).join(" ")} → ${race.every((r) => r.holds) ? "holds" : "BROKEN"}; served by ${JSON.stringify(race[0].workers)}`);
  log(`nginx: budget ${budget.rows.map((r) => `${r.status}@${r.servedBy}`).join(" ")} → ${budget.holds ? "holds" : "BROKEN"}`);
  log(`nginx: client address ${clientAddress.map((c) => `${c.via}: ${c.status} ip=${c.ip}`).join("; ")}`);
  return { race, budget, racedOnBoth, budgetOnBoth, clientAddress };
}

/**
 * Which client address the API records (and its per-IP limits key on: both use req.ip): a login
 * sent from 127.0.0.2 with a forged X-Forwarded-For. Through nginx it must be 127.0.0.2 (the
 * address nginx saw, forwarded; the forged entry is not believed with TRUST_PROXY=1); straight
 * to an instance the forged value is believed, which is why the instances must be reachable only
 * through nginx (here they listen on 127.0.0.1).
 */
async function clientAddressCheck(ctx, target, instance) {
  const { db } = ctx;
  const forged = "203.0.113.9";
  const users = await seedPlainUsers(db, 2, "ip");
  const out = [];
  for (const [i, via] of [
    [0, "through nginx"],
    [1, `straight to instance :${instance.port} (bypassing nginx)`],
  ]) {
    const port = i === 0 ? NGINX_PORT : instance.port;
    const agent = new http.Agent({ localAddress: "127.0.0.2" });
    const res = await request(port, {
      method: "POST",
      path: "/auth/login",
      headers: { ...anonymousXsrf(target), "x-forwarded-for": forged },
      body: { email: users[i].email, password: PASSWORD },
      agent,
    });
    agent.destroy();
    const { rows } = await db.query(`SELECT ip FROM "AuditEvent" WHERE "userId" = $1 AND "type" = 'LOGIN_SUCCESS'`, [users[i].id]);
    out.push({ via, from: "127.0.0.2", forwardedFor: forged, status: res.status, servedBy: upstreamOf(res) ?? `127.0.0.1:${instance.port}`, ip: rows[0]?.ip ?? null, expected: i === 0 ? "127.0.0.2" : forged });
  }
  return out;
}

const SETUPS = [
  [1, "1 process"],
  [2, "node:cluster, 2 workers"],
  ["nginx", "2 processes + nginx"],
];

export function render(rows, checks, nginx) {
  const md = ["### Scale-out: 1 process, 2 node:cluster workers, 2 processes behind nginx; one PostgreSQL + one Redis, 64 connections", ""];
  const all = rows;
  const table = [];
  for (const scenario of [...new Set(all.map((r) => r.scenario))]) {
    const one = all.find((r) => r.scenario === scenario && r.instances === 1);
    for (const [key, label] of SETUPS) {
      const x = all.find((r) => r.scenario === scenario && r.instances === key);
      if (!x) continue;
      table.push([
        scenario,
        label,
        fmt(x.rps),
        one ? `${fmt(x.rps / one.rps, 2)}×` : "–",
        x.p50,
        x.p99,
        x.errors ? `${x.errors} ${JSON.stringify(x.statusCodes)}` : 0,
        x.cpuPercentPerProcess.map((c) => fmt(c)).join("+"),
        x.nginxCpuPercent === undefined ? "" : fmt(x.nginxCpuPercent),
        fmt(x.cpu.postgres),
        fmt(x.cpu.loadGenerator),
      ]);
    }
  }
  md.push(
    "The setups run at the same time (idle ones cost next to nothing) and each scenario is measured on them back to back, " +
      "the order reversed every other scenario, so load from other work on this shared box falls on them alike. " +
      "Per-process CPU: each worker or instance; nginx: master + worker.",
    "",
    mdTable(["scenario", "setup", "req/s", "÷ 1 process", "p50 ms", "p99 ms", "errors", "API CPU % of a core (per process)", "nginx CPU %", "PostgreSQL CPU %", "load generator CPU %"], table),
    "",
  );
  if (nginx?.skipped) md.push(`2 processes behind nginx: skipped — ${nginx.skipped}.`, "");
  else if (nginx)
    md.push(
      `nginx: ${nginx.nginx.version || "nginx"} from apt, started by the bench (\`nginx -p bench/output/nginx/ -c ${nginx.nginx.conf}\`, \`daemon off;\`, 1 worker), ` +
        `\`upstream\` round robin over ${nginx.instances.map((s) => `127.0.0.1:${s.port} (${s.name}, pid ${s.pid})`).join(" and ")} with \`keepalive 64\` idle connections to them, ` +
        "`X-Forwarded-For` appended, no retry to the other instance (`proxy_next_upstream off`), `add_header X-Upstream $upstream_addr always`. " +
        "Each instance is a plain `node backend/dist/main.js` (WEB_CONCURRENCY=1) with `TRUST_PROXY=1` and the bench's Redis. login is not run through nginx (at 64 connections it measures the argon2 admission queue, not the proxy).",
      "",
    );
  if (checks) {
    md.push(`Checks against the node:cluster pair (workers ${checks.workers.join(", ")}):`, "");
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
      "",
    );
  }
  const n = nginx?.checks;
  if (n) {
    md.push(`Checks through nginx (127.0.0.1:${nginx.nginx.port}; "served by" is the \`X-Upstream\` header nginx added to each answer):`, "");
    md.push(
      mdTable(
        ["race round", "20 concurrent verify-login, one challenge: statuses", "served by (upstream: requests)", "LOGIN_SUCCESS audits", "exactly one 200"],
        n.race.map((r) => [r.round + 1, JSON.stringify(r.statuses), JSON.stringify(r.workers), r.loginSuccessAudits, r.holds ? "yes" : "**NO**"]),
      ),
      "",
      mdTable(
        ["attempt", "request", "status", "code", "attemptsRemaining", "Retry-After", "served by"],
        n.budget.rows.map((r) => [r.attempt, r.what, r.status, r.code ?? "", r.attemptsRemaining ?? "", r.retryAfter ?? "", r.servedBy ?? "?"]),
      ),
      "",
      `Guessing budget across challenges and instances: ${n.budget.holds ? "holds (5th wrong code → 429; the right code afterwards → 429 with Retry-After)" : "**BROKEN**"}; ` +
        `race requests spread over both instances: ${n.racedOnBoth ? "yes" : "no"}; budget requests over both instances: ${n.budgetOnBoth ? "yes" : "no"}; ` +
        `nginx and both instances alive at the end: ${nginx.alive ? "yes" : "**no**"}.`,
      "",
      "Client address the API records (LOGIN_SUCCESS audit ip; the per-IP flood limits key on the same `req.ip`), a login sent from 127.0.0.2 with a forged `X-Forwarded-For`:",
      "",
      mdTable(
        ["login sent", "client socket", "X-Forwarded-For sent", "status", "served by", "ip recorded", "expected"],
        n.clientAddress.map((c) => [c.via, c.from, c.forwardedFor, c.status, c.servedBy, c.ip ?? "–", c.ip === c.expected ? `${c.expected} ✓` : `${c.expected} **✗**`]),
      ),
      "",
      "Through nginx the API sees the address nginx saw (the forged entry is ignored with `TRUST_PROXY=1`); an instance reached directly believes the forged header, so with `TRUST_PROXY` set the instances must be reachable only through the proxy (here they listen on 127.0.0.1).",
    );
  }
  return md;
}
