// createApp builds the Express app and never listens: tests import it, main.ts serves it.
import fs from "node:fs";
import path from "node:path";
import cookieParser from "cookie-parser";
import express from "express";
import helmet from "helmet";
import pino, { type Logger } from "pino";
import { pinoHttp } from "pino-http";
import { authRoutes } from "./auth/auth.routes";
import { systemClock, type Clock } from "./auth/clock";
import { createCookieWriter } from "./auth/cookies";
import { configurePasswordHashing } from "./auth/password";
import { createTokenService } from "./auth/tokens";
import type { Config } from "./config";
import type { Context } from "./context";
import type { Db } from "./db/prisma";
import { hotSql } from "./db/hot-sql";
import { errorMiddleware, notFound } from "./http/error-middleware";
import { prettyDestination } from "./http/pretty-log";
import { createCsrf } from "./security/csrf";
import { createSecretBox } from "./security/encryption";
import { createRateLimiters } from "./security/rate-limit";
import type { RedisLike } from "./security/redis";
import { securityEventRoutes } from "./security/security-events.routes";
import { createPasswordResetLimiters, passwordRoutes } from "./account/password.routes";
import { adminRoutes } from "./admin/admin.routes";
import { API_DOCS_PATH, apiDocsHeaders, mountApiDocs, ROUTE_DOCS } from "./api-docs";
import { migrationNames } from "./db/migrate";
import { readiness } from "./http/readiness";
import { createMetrics } from "./metrics/metrics";
import { sessionRoutes } from "./sessions/sessions.routes";
import { twoFactorRoutes } from "./two-factor/two-factor.routes";
import { passkeyRoutes } from "./two-factor/passkey/passkey.routes";
import { passkeyLoginRoutes } from "./two-factor/passkey/passkey-login.routes";

export interface AppDeps {
  config: Config;
  db: Db;
  clock?: Clock;
  logger?: Logger;
  redis?: RedisLike;
}

/** Never log credentials, codes, secrets or cookies (DESIGN: secrets never reach logs). */
export const LOG_REDACT_PATHS = [
  "req.headers.cookie",
  "req.headers.authorization",
  'req.headers["x-xsrf-token"]',
  'res.headers["set-cookie"]',
  "*.password",
  "*.currentPassword",
  "*.newPassword",
  // the body's code, not err.code (which tells which error happened)
  "req.body.code",
  "body.code",
  "*.token",
  "*.secret",
  "*.backupCode",
  "*.backupCodes",
  "*.otpauthUrl",
];

/** JSON lines, or short readable ones with LOG_FORMAT=pretty (the development default: http/pretty-log.ts). */
export function createLogger(config: Config): Logger {
  const options = { level: config.logLevel, redact: { paths: LOG_REDACT_PATHS, censor: "[redacted]" } };
  if (config.logFormat === "pretty") return pino(options, prettyDestination());
  // Production: buffered, asynchronous writes (flushed at exit by pino) instead of one write
  // system call per line — ~half of the remaining logging cost per request (bench/RESULTS.md).
  if (config.env === "production") return pino(options, pino.destination({ dest: 1, sync: false, minLength: 4096 }));
  return pino(options);
}

export function createApp(deps: AppDeps) {
  const { config, db } = deps;
  const logger = deps.logger ?? createLogger(config);
  // argon2 admission control is process-wide (auth/password.ts): sized here from the config.
  configurePasswordHashing(config.passwordHashing);
  const clock = deps.clock ?? systemClock;
  const tokens = createTokenService(config, clock);
  const csrf = createCsrf(config, tokens);
  const ctx: Context = {
    config,
    db,
    logger,
    clock,
    tokens,
    cookies: createCookieWriter(config),
    secretBox: createSecretBox(config.encryptionKeys),
    csrf,
    hotSql: hotSql(db),
  };
  const limits = createRateLimiters(config, deps.redis, { logger });

  const app = express();
  app.disable("x-powered-by");
  // No ETag on API answers (they are no-store; hashing every JSON body is wasted work). Static
  // files keep theirs (serve-static sets its own).
  app.set("etag", false);
  if (config.trustProxy) app.set("trust proxy", /^\d+$/.test(config.trustProxy) ? Number(config.trustProxy) : config.trustProxy);

  // Plain-http development (http://localhost:3000) must not be told to upgrade to https.
  const production = config.env === "production";
  // Documents (the SPA) get helmet's full set with the SPA's CSP. JSON answers of the API get the
  // set OWASP's REST cheat sheet asks for — nosniff, a CSP that allows nothing and no framing,
  // CORP, no referrer, HSTS in production (+ no-store below). The document-only headers were
  // bytes written on every API answer for nothing (writing the answer is the largest item of
  // GET /auth/me in bench/RESULTS.md's profile).
  const documentHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "upgrade-insecure-requests": production ? [] : null,
      },
    },
    strictTransportSecurity: production,
  });
  const apiHeaders = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { "default-src": ["'none'"], "frame-ancestors": ["'none'"] } },
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xFrameOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
    strictTransportSecurity: production,
  });
  const isApi = (path: string) => path.startsWith("/auth/") || path === "/healthz" || path === "/readyz" || path === "/metrics" || path === "/openapi.json";
  // the API reference page (Swagger UI from node_modules) gets its own CSP: api-docs.ts
  const docsHeaders = apiDocsHeaders(production);
  const isDocs = (path: string) => path === API_DOCS_PATH || path.startsWith(`${API_DOCS_PATH}/`);
  app.use((req, res, next) => (isApi(req.path) ? apiHeaders : isDocs(req.path) ? docsHeaders : documentHeaders)(req, res, next));
  // Request logging costs a child logger per request: only pay for it when info is logged.
  if (logger.isLevelEnabled("info")) {
    app.use(
      pinoHttp({
        logger,
        quietReqLogger: true,
        // probes and scrapes come every few seconds: a line each would drown the requests
        autoLogging: { ignore: (req) => req.url === "/healthz" || req.url === "/readyz" || req.url === "/metrics" },
        // One short line per request: id, method, path (no query string), status, time. Not the
        // headers: serialising and redacting them cost ~0.25 ms per request, 13 % of GET /auth/me
        // (bench/RESULTS.md, profile), and they carry cookies anyway.
        wrapSerializers: false,
        serializers: {
          req: (req: { id?: unknown; method?: string; url?: string }) => ({ id: req.id, method: req.method, path: req.url?.split("?")[0] }),
          res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        },
      }),
    );
  } else {
    app.use((req, _res, next) => {
      req.log = logger;
      next();
    });
  }
  if (config.corsOrigin?.length) {
    const allowed = new Set(config.corsOrigin);
    app.use((req, res, next) => {
      const origin = req.get("origin");
      if (origin && allowed.has(origin)) {
        res.setHeader("Access-Control-Allow-Origin", origin);
        res.setHeader("Access-Control-Allow-Credentials", "true");
        res.setHeader("Vary", "Origin");
        if (req.method === "OPTIONS") {
          res.setHeader("Access-Control-Allow-Methods", "GET,POST,PATCH,DELETE,OPTIONS");
          res.setHeader("Access-Control-Allow-Headers", "Content-Type, X-XSRF-TOKEN");
          return void res.status(204).end();
        }
      }
      next();
    });
  }
  // Metrics cost one timer per request, so only when someone reads them (METRICS_TOKEN).
  const metrics = config.metricsToken ? createMetrics({ db, clock, token: config.metricsToken, routes: ROUTE_DOCS }) : undefined;
  if (metrics) app.use(metrics.observe);
  app.use(express.json({ limit: "10kb" }));
  app.use(cookieParser());
  app.use(csrf.issueToken);
  app.use(csrf.requireToken);

  app.get("/readyz", readiness(db, migrationNames()));
  app.get("/metrics", metrics ? metrics.endpoint : notFound);
  app.get("/healthz", async (_req, res) => {
    try {
      await db.$queryRaw`SELECT 1`;
      res.json({ status: "ok", db: "ok" });
    } catch {
      res.status(503).json({ status: "unavailable", db: "down", message: "The database is unreachable", code: "SERVICE_UNAVAILABLE" });
    }
  });
  // Nothing under /auth may be cached by a browser or a proxy (user data, tokens in Set-Cookie).
  app.use("/auth", (_req, res, next) => {
    res.setHeader("Cache-Control", "no-store");
    next();
  });
  app.get("/auth/csrf", csrf.csrfEndpoint);
  // passkeys live under /auth/2fa too (the twofa_token cookie's path; one flood limit for both)
  app.use("/auth/2fa", limits.twoFactorPerIp, twoFactorRoutes(ctx), passkeyRoutes(ctx));
  // signing in with a passkey alone: the same per-IP flood limit as the password login (one counter)
  app.use("/auth/passkey", limits.loginPerIp, passkeyLoginRoutes(ctx));
  app.post("/auth/register", limits.registerPerIp);
  app.use("/auth/password", passwordRoutes(ctx, createPasswordResetLimiters(config, deps.redis, logger)));
  app.use("/auth", authRoutes(ctx, limits));
  app.use("/auth", sessionRoutes(ctx));
  app.use("/auth", securityEventRoutes(ctx));
  app.use("/auth/admin", adminRoutes(ctx));
  // GET /openapi.json and the API reference at /api-docs (every route above is documented there);
  // off in production unless API_DOCS=true: a map of the API is for the people who build on it
  if (config.apiDocs) mountApiDocs(app);

  // The built SPA on the same origin as the API; client-side routes fall back to index.html.
  const indexHtml = path.join(config.frontendDist, "index.html");
  if (fs.existsSync(indexHtml)) {
    app.use(express.static(config.frontendDist, { index: false, maxAge: "1h" }));
    app.get(/^(?!\/auth\/|\/healthz|\/readyz|\/metrics|\/openapi\.json|\/api-docs).*/, (req, res, next) => {
      if (!req.accepts("html")) return next();
      res.setHeader("Cache-Control", "no-cache");
      // relative to `root`: send refuses a path with a dot-folder in it (an install under
      // ~/.local or .data/image), and only the part below root is checked that way
      res.sendFile("index.html", { root: config.frontendDist });
    });
  }

  app.use(notFound);
  app.use(errorMiddleware);
  return app;
}
