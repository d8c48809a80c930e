// autocannon runs and the request shapes of each HTTP scenario.
import { backend, cookieHeader, fetchCsrf, log, parseSetCookie, request, require } from "./util.js";
import { PASSWORD, generateTotp } from "./seed.js";

const autocannon = require("autocannon");

export const HTTP_SCENARIOS = {
  login: "POST /auth/login, password only (no 2FA): argon2id verify + 2 SQL",
  login2fa: "POST /auth/login then POST /auth/2fa/verify-login, a fresh 2FA account per flow",
  verify: "POST /auth/2fa/verify-login alone (challenge pre-issued), fresh account + valid code each",
  refresh: "POST /auth/refresh (refresh_token cookie + CSRF)",
  me: "GET /auth/me (access_token cookie)",
};

/**
 * Everything a scenario needs from the target server: its CSRF pair and a few real sessions
 * (obtained through its own /auth/login, so the tokens are whatever that server issues).
 */
export async function prepareTarget(target, plainUsers, sessions = 16) {
  target.csrf = await fetchCsrf(target.port);
  target.sessions = [];
  for (const u of plainUsers.slice(0, sessions)) {
    const res = await request(target.port, { method: "POST", path: "/auth/login", body: { email: u.email, password: PASSWORD } });
    if (res.status !== 200) throw new Error(`${target.name}: login for sessions failed: ${res.status} ${res.text}`);
    const c = parseSetCookie(res.headers["set-cookie"]);
    target.sessions.push({ access: c.access_token, refresh: c.refresh_token });
  }
}

const json = { "content-type": "application/json" };

/** autocannon `requests` for one scenario against one target. */
export function requestsFor(scenario, target, pools) {
  const xsrf = (cookies) => ({ cookie: cookieHeader({ ...cookies, "XSRF-TOKEN": target.csrf.cookie }), "x-xsrf-token": target.csrf.header });
  let i = 0;
  switch (scenario) {
    case "login": {
      const users = pools.plainUsers;
      return [
        {
          method: "POST",
          path: "/auth/login",
          setupRequest: (req) => {
            const u = users[i++ % users.length];
            return { ...req, headers: json, body: JSON.stringify({ email: u.email, password: PASSWORD }) };
          },
        },
      ];
    }
    case "login2fa":
      return [
        {
          method: "POST",
          path: "/auth/login",
          setupRequest: (req, ctx) => {
            ctx.account = pools.fresh2fa.take() ?? { email: "pool-exhausted@bench.test", secret: "AAAAAAAAAAAAAAAA" };
            return { ...req, headers: json, body: JSON.stringify({ email: ctx.account.email, password: PASSWORD }) };
          },
          onResponse: (_status, _body, ctx, headers) => {
            ctx.twofa = parseSetCookie(headers["Set-Cookie"] ?? headers["set-cookie"]).twofa_token;
          },
        },
        {
          method: "POST",
          path: "/auth/2fa/verify-login",
          setupRequest: (req, ctx) => ({
            ...req,
            headers: { ...json, ...xsrf({ twofa_token: ctx.twofa }) },
            body: JSON.stringify({ code: generateTotp(ctx.account.secret, Date.now()) }),
          }),
        },
      ];
    case "verify":
      return [
        {
          method: "POST",
          path: "/auth/2fa/verify-login",
          setupRequest: (req) => {
            const c = pools.challenges.take() ?? { token: "pool-exhausted", secret: "AAAAAAAAAAAAAAAA" };
            return { ...req, headers: { ...json, ...xsrf({ twofa_token: c.token }) }, body: JSON.stringify({ code: generateTotp(c.secret, Date.now()) }) };
          },
        },
      ];
    case "refresh":
      return [
        {
          method: "POST",
          path: "/auth/refresh",
          setupRequest: (req) => ({ ...req, headers: xsrf({ refresh_token: target.sessions[i++ % target.sessions.length].refresh }) }),
        },
      ];
    case "me":
      return [
        {
          method: "GET",
          path: "/auth/me",
          setupRequest: (req) => ({ ...req, headers: { cookie: cookieHeader({ access_token: target.sessions[i++ % target.sessions.length].access }) } }),
        },
      ];
    default:
      throw new Error(`unknown scenario ${scenario}`);
  }
}

/** One autocannon run; returns the figures the report needs. */
export async function runLoad({ port, requests, connections, duration, amount }) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    ...(amount ? { amount } : { duration }),
    requests,
    timeout: 10,
  });
  const ok = result["2xx"];
  return {
    connections,
    seconds: result.duration,
    requests: result.requests.total,
    sent: result.requests.sent,
    ok,
    rps: ok / result.duration,
    p50: result.latency.p50,
    p975: result.latency.p97_5,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.non2xx + result.errors + result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, v.count])),
  };
}

/** ~15 s of the cheap scenarios at 16 connections, results discarded. */
export async function warmUp(target, pools, seconds = { verify: 7, me: 4, refresh: 4 }) {
  await pools.challenges.ensure(2000 * seconds.verify);
  log(`warming up ${target.name} (${Object.values(seconds).reduce((a, b) => a + b, 0)} s)`);
  for (const [scenario, duration] of Object.entries(seconds)) {
    await runLoad({ port: target.port, requests: requestsFor(scenario, target, pools), connections: 16, duration });
  }
}

export { log, backend };

