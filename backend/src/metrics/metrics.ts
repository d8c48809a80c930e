// GET /metrics in the Prometheus text format (prom-client), for operators: off unless
// METRICS_TOKEN is set, and then only for a request that carries it as a bearer token.
//
// What is counted, and where it is read:
//  - per request (only while metrics are on): latency by method, route and status, and the
//    outcome of the requests that matter for security, read from the answer itself — the status
//    and the catalogue code the error middleware answered with (res.locals.errorCode). Nothing in
//    the services has to know about metrics, and every instance counts its own requests
//    (Prometheus sums the instances);
//  - at scrape time, from PostgreSQL (the same for every instance: use max(), not sum()): accounts
//    whose second-factor budget is locked now, the mail outbox's depth and the age of its oldest
//    unsent message.
import crypto from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Clock } from "../auth/clock";
import type { Db } from "../db/prisma";
import { errorBody, type ErrorCode } from "../http/errors";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      /** the catalogue code of the error this request was answered with (http/error-middleware.ts) */
      errorCode?: ErrorCode;
      /** its `reason`, when it has one (PASSKEY_FAILED, INVALID_CODE) */
      errorReason?: string;
    }
  }
}

export interface Metrics {
  /** times every request and counts the security outcomes; mount before the routes */
  observe: RequestHandler;
  /** GET /metrics */
  endpoint: RequestHandler;
}

/** The routes as documented ("/auth/sessions/:id"): a bounded set of labels, whatever the URLs. */
function routeLabeller(routes: ReadonlyArray<{ method: string; path: string }>) {
  const exact = new Map<string, string>();
  const patterns: Array<{ method: string; re: RegExp; path: string }> = [];
  for (const { method, path } of routes) {
    const m = method.toUpperCase();
    if (path.includes(":")) patterns.push({ method: m, re: new RegExp(`^${path.replace(/:[^/]+/g, "[^/]+")}$`), path });
    else exact.set(`${m} ${path}`, path);
  }
  return (method: string, path: string): string => {
    const found = exact.get(`${method} ${path}`);
    if (found) return found;
    for (const p of patterns) if (p.method === method && p.re.test(path)) return p.path;
    return method === "GET" && !path.startsWith("/auth/") ? "(static)" : "(unmatched)";
  };
}

/** Which factor a code step was answered with, from its body (two-factor.schemas.ts). */
function verifyMethod(body: unknown): string {
  const b = (body ?? {}) as Record<string, unknown>;
  if ("passkey" in b) return "passkey";
  if ("backupCode" in b) return "backup_code";
  if ("code" in b) return "totp";
  return "unknown";
}

export function createMetrics(deps: { db: Db; clock: Clock; token: string; routes: ReadonlyArray<{ method: string; path: string }> }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "twofa_" });
  const labelOf = routeLabeller(deps.routes);

  const latency = new Histogram({
    name: "twofa_http_request_duration_seconds",
    help: "Time from the request's arrival to the end of its answer, by route",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const logins = new Counter({
    name: "twofa_logins_total",
    help: "Sign-in steps by method and result (password step: success, second_factor_required, failure, refused = limited)",
    labelNames: ["method", "result"] as const,
    registers: [registry],
  });
  const budgetLocked = new Counter({
    name: "twofa_budget_locked_answers_total",
    help: "Answers refused because the account's guess budget is spent (429 TOO_MANY_ATTEMPTS), by route",
    labelNames: ["route"] as const,
    registers: [registry],
  });
  const refreshReuse = new Counter({
    name: "twofa_refresh_token_reuse_total",
    help: "Refresh tokens presented after they were rotated (the session was revoked: a stolen token, or a replay)",
    registers: [registry],
  });
  const passkeyFailures = new Counter({
    name: "twofa_passkey_failures_total",
    help: "Passkey answers refused (PASSKEY_FAILED), by reason",
    labelNames: ["reason"] as const,
    registers: [registry],
  });

  // One query per scrape, not per request.
  const stateOf = async () => {
    const [row] = await deps.db.$queryRaw<{ locked: number; depth: number; oldest: Date | null }[]>`
      SELECT (SELECT count(*)::int FROM "User" WHERE "twoFactorLockedUntil" > ${new Date(deps.clock.now())}) AS locked,
             count(*)::int AS depth, min("createdAt") AS oldest
      FROM "MailOutbox" WHERE "sentAt" IS NULL AND "failedAt" IS NULL`;
    return row;
  };
  let scrape: Promise<Awaited<ReturnType<typeof stateOf>>> | undefined;
  // the three gauges read one row: the first one's collect() runs the query, the others reuse it
  const shared = () => (scrape ??= stateOf().finally(() => setImmediate(() => (scrape = undefined))));
  new Gauge({
    name: "twofa_accounts_locked",
    help: "Accounts whose second-factor guess budget is locked right now",
    registers: [registry],
    async collect() {
      this.set((await shared()).locked);
    },
  });
  new Gauge({
    name: "twofa_mail_outbox_depth",
    help: "Emails waiting to be sent (not sent, not given up)",
    registers: [registry],
    async collect() {
      this.set((await shared()).depth);
    },
  });
  new Gauge({
    name: "twofa_mail_outbox_oldest_age_seconds",
    help: "Age of the oldest email waiting to be sent (0 when none waits)",
    registers: [registry],
    async collect() {
      const { oldest } = await shared();
      this.set(oldest ? Math.max(0, (deps.clock.now() - oldest.getTime()) / 1000) : 0);
    },
  });

  const count = (req: Request, res: Response, route: string) => {
    const code = res.locals.errorCode;
    if (route === "/auth/login" && req.method === "POST") {
      const result =
        res.statusCode === 200 ? (String(res.getHeader("set-cookie") ?? "").includes("twofa_token=") ? "second_factor_required" : "success") : res.statusCode === 429 ? "refused" : "failure";
      logins.inc({ method: "password", result });
    } else if (route === "/auth/2fa/verify-login") {
      logins.inc({ method: verifyMethod(req.body), result: res.statusCode === 200 ? "success" : res.statusCode === 429 ? "refused" : "failure" });
    }
    if (!code) return;
    if (code === "TOO_MANY_ATTEMPTS") budgetLocked.inc({ route });
    else if (code === "PASSKEY_FAILED") passkeyFailures.inc({ reason: res.locals.errorReason ?? "unknown" });
    // /auth/refresh answers SESSION_REVOKED only to a reused token (sessions.routes.ts)
    else if (code === "SESSION_REVOKED" && route === "/auth/refresh") refreshReuse.inc();
  };

  const observe: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once("finish", () => {
      // originalUrl: routers rewrite req.url while they run, and may not have restored it yet
      const route = labelOf(req.method, req.originalUrl.split("?")[0]);
      latency.observe({ method: req.method, route, status: res.statusCode }, Number(process.hrtime.bigint() - started) / 1e9);
      count(req, res, route);
    });
    next();
  };

  const expected = crypto.createHash("sha256").update(deps.token).digest();
  const endpoint: RequestHandler = async (req, res) => {
    const given = /^Bearer (.+)$/.exec(req.get("authorization") ?? "")?.[1] ?? "";
    // compare digests: equal length, constant time, whatever was sent
    if (!crypto.timingSafeEqual(crypto.createHash("sha256").update(given).digest(), expected)) {
      res.setHeader("WWW-Authenticate", 'Bearer realm="metrics"');
      return void res.status(401).json(errorBody("UNAUTHENTICATED"));
    }
    res.setHeader("Cache-Control", "no-store");
    res.type(registry.contentType).send(await registry.metrics());
  };

  return { observe, endpoint };
}
