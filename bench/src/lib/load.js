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
  target.plainUsers = plainUsers;
  target.sessions = await loginSessions(target, plainUsers.slice(0, sessions));
}

/** Real sessions through the target's own /auth/login (each keeps the CSRF token its login issued). */
async function loginSessions(target, users) {
  const sessions = [];
  for (const u of users) {
    const res = await request(target.port, { method: "POST", path: "/auth/login", headers: anonymousXsrf(target), body: { email: u.email, password: PASSWORD } });
    if (res.status !== 200) throw new Error(`${target.name}: login for sessions failed: ${res.status} ${res.text}`);
    const c = parseSetCookie(res.headers["set-cookie"]);
    sessions.push({ access: c.access_token, refresh: c.refresh_token, xsrf: { cookie: c["XSRF-TOKEN"], header: decodeURIComponent(c["XSRF-TOKEN"]) } });
  }
  return sessions;
}

/**
 * Refresh tokens rotate, and one replayed after the 10-s grace ends its session (reuse
 * detection). A run that stops leaves requests in flight whose new tokens nobody reads, so
 * every refresh run gets sessions of its own, one per connection: call this before each.
 */
export async function renewRefreshSessions(target, connections) {
  target.refreshSessions = await loginSessions(target, target.plainUsers.slice(0, Math.min(connections, target.plainUsers.length)));
}

/** Cookie + header for a request that belongs to no session (login, verify-login, register). */
export const anonymousXsrf = (target, cookies = {}) => xsrfHeaders(target.csrf, cookies);
/** Cookie + header for a request of one session, with that session's own CSRF token. */
export const sessionXsrf = (session, cookies = {}) => xsrfHeaders(session.xsrf, cookies);
const xsrfHeaders = (xsrf, cookies) => ({ cookie: cookieHeader({ ...cookies, "XSRF-TOKEN": xsrf.cookie }), "x-xsrf-token": xsrf.header });

const json = { "content-type": "application/json" };

/** autocannon `requests` for one scenario against one target. */
export function requestsFor(scenario, target, pools) {
  const xsrf = (cookies) => anonymousXsrf(target, cookies);
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
            return { ...req, headers: { ...json, ...xsrf() }, body: JSON.stringify({ email: u.email, password: PASSWORD }) };
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
            return { ...req, headers: { ...json, ...xsrf() }, body: JSON.stringify({ email: ctx.account.email, password: PASSWORD }) };
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
    case "refresh": {
      // A session is used by one request at a time and always with the newest refresh token it
      // was given, as a browser does. (autocannon's context is cloned for every request, so the
      // session travels through a free list, not through the context.)
      const sessions = target.refreshSessions;
      const free = sessions.map((_, k) => k);
      return [
        {
          method: "POST",
          path: "/auth/refresh",
          setupRequest: (req, ctx) => {
            ctx.k = free.pop() ?? i++ % sessions.length;
            return { ...req, headers: sessionXsrf(sessions[ctx.k], { refresh_token: sessions[ctx.k].refresh }) };
          },
          onResponse: (_status, _body, ctx, headers) => {
            const next = parseSetCookie(headers["Set-Cookie"] ?? headers["set-cookie"]).refresh_token;
            if (next) sessions[ctx.k].refresh = next;
            free.push(ctx.k);
          },
        },
      ];
    }
    case "me":
      return [
        {
          method: "GET",
          path: "/auth/me",
          // as a browser sends it: with the XSRF-TOKEN cookie its login set
          setupRequest: (req) => {
            const session = target.sessions[i++ % target.sessions.length];
            return { ...req, headers: { cookie: cookieHeader({ access_token: session.access, "XSRF-TOKEN": session.xsrf.cookie }) } };
          },
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
    if (scenario === "refresh") await renewRefreshSessions(target, 16);
    await runLoad({ port: target.port, requests: requestsFor(scenario, target, pools), connections: 16, duration });
  }
}

export { log, backend };

