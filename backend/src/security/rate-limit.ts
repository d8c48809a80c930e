// Flood limits (DESIGN §6.4) with express-rate-limit. These are the coarse outer wall; the
// guessing budget that really protects codes is counted in PostgreSQL (two-factor/budget.ts),
// so it holds across instances even when Redis is absent or down.
import type { Request, RequestHandler } from "express";
import { rateLimit, type RateLimitInfo, type Store } from "express-rate-limit";
import { RedisStore } from "rate-limit-redis";
import type { Config } from "../config";
import { errorBody } from "../http/errors";
import type { RedisLike } from "./redis";

export interface RateLimiters {
  loginPerIp: RequestHandler;
  loginFailuresPerEmail: RequestHandler;
  twoFactorPerIp: RequestHandler;
}

function storeFor(redis: RedisLike | undefined, prefix: string): Store | undefined {
  if (!redis) return undefined; // express-rate-limit's memory store: per instance
  return new RedisStore({ prefix: `twofa:rl:${prefix}:`, sendCommand: (...args: string[]) => redis.sendCommand(args) });
}

const emailOf = (req: Request) => {
  const email = (req.body as { email?: unknown } | undefined)?.email;
  return typeof email === "string" ? email.trim().toLowerCase() : undefined;
};

export function createRateLimiters(config: Config, redis?: RedisLike): RateLimiters {
  const common = {
    windowMs: config.rateLimit.windowMs,
    standardHeaders: "draft-7" as const,
    legacyHeaders: false,
    // Fail-safe when Redis is down: let the request through (logged) rather than locking every
    // user out; the per-account code budget in PostgreSQL still applies.
    passOnStoreError: true,
    handler: ((req, res) => {
      const reset = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit?.resetTime?.getTime();
      const retryAfterSeconds = Math.max(1, Math.ceil(((reset ?? Date.now() + config.rateLimit.windowMs) - Date.now()) / 1000));
      res.setHeader("Retry-After", String(retryAfterSeconds));
      res.status(429).json(errorBody("TOO_MANY_REQUESTS", { retryAfterSeconds }));
    }) as RequestHandler,
  };
  return {
    loginPerIp: rateLimit({ ...common, limit: config.rateLimit.ipMax, store: storeFor(redis, "login-ip") }),
    twoFactorPerIp: rateLimit({ ...common, limit: config.rateLimit.ipMax, store: storeFor(redis, "2fa-ip") }),
    // Counts only failed logins (status >= 400) per email, whatever the IP.
    loginFailuresPerEmail: rateLimit({
      ...common,
      limit: config.rateLimit.emailFailures,
      skipSuccessfulRequests: true,
      skip: (req) => emailOf(req) === undefined,
      keyGenerator: (req) => emailOf(req)!,
      store: storeFor(redis, "login-email"),
    }),
  };
}
