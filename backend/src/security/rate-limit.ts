// Flood limits (DESIGN §6.4) with express-rate-limit, per IP. These are the coarse outer wall
// and fail open while Redis is down; the budgets that really protect passwords and codes are
// counted in PostgreSQL (security/login-budget.ts, security/budget.ts), so they hold across
// instances even when Redis is absent or down (DESIGN §6 rule 17).
import type { Request, RequestHandler } from "express";
import type { Logger } from "pino";
import { rateLimit, type RateLimitInfo, type Store } from "express-rate-limit";
import type { Config } from "../config";
import { errorBody } from "../http/errors";
import { createRedisStore, type RedisLike } from "./redis";

export interface RateLimiters {
  loginPerIp: RequestHandler;
  twoFactorPerIp: RequestHandler;
  /** RATE_LIMIT_REGISTER_IP_MAX registrations per IP per hour (DESIGN §6.13) */
  registerPerIp: RequestHandler;
}

export interface RateLimitOptions {
  /** where express-rate-limit's complaints go (rateLimitLogger); default: its own console output */
  logger?: Logger;
}

/**
 * express-rate-limit's logger, on the app's log: while Redis is down every request's store error
 * was a stack trace on stderr (console.error), outside the JSON log. Now one warning per kind of
 * error and minute ("rate limit store failed: request let through"), and Redis' own
 * disconnect/reconnect lines (security/redis.ts) tell the rest.
 */
export function rateLimitLogger(logger: Logger, quietMs = 60_000) {
  const lastSeen = new Map<string, number>();
  const log = (level: "warn" | "error") => (err: unknown, context?: string) => {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const key = `${context}|${message}`;
    const now = Date.now();
    if (now - (lastSeen.get(key) ?? -Infinity) < quietMs) return;
    lastSeen.set(key, now);
    if (lastSeen.size > 100) lastSeen.clear();
    logger[level]({ err: { message } }, context ?? "express-rate-limit");
  };
  return { warn: log("warn"), error: log("warn") as (...args: unknown[]) => void };
}

/** Redis when configured (limits shared by every instance), else express-rate-limit's per-instance memory. */
export function storeFor(redis: RedisLike | undefined, prefix: string): Store | undefined {
  if (!redis) return undefined; // express-rate-limit's memory store: per instance
  return createRedisStore(redis, prefix);
}

/** 429 TOO_MANY_REQUESTS with Retry-After (seconds until the window resets). */
export const tooManyRequests = (windowMs: number): RequestHandler => (req, res) => {
  const reset = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit?.resetTime?.getTime();
  const retryAfterSeconds = Math.max(1, Math.ceil(((reset ?? Date.now() + windowMs) - Date.now()) / 1000));
  res.setHeader("Retry-After", String(retryAfterSeconds));
  res.status(429).json(errorBody("TOO_MANY_REQUESTS", { retryAfterSeconds }));
};

export function createRateLimiters(config: Config, redis?: RedisLike, options: RateLimitOptions = {}): RateLimiters {
  const common = {
    windowMs: config.rateLimit.windowMs,
    standardHeaders: "draft-7" as const,
    legacyHeaders: false,
    // Fail-safe when Redis is down: let the request through (logged) rather than locking every
    // user out; the per-account password and code budgets in PostgreSQL still apply.
    passOnStoreError: true,
    handler: tooManyRequests(config.rateLimit.windowMs),
    ...(options.logger ? { logger: rateLimitLogger(options.logger) } : {}),
  };
  return {
    loginPerIp: rateLimit({ ...common, limit: config.rateLimit.ipMax, store: storeFor(redis, "login-ip") }),
    twoFactorPerIp: rateLimit({ ...common, limit: config.rateLimit.ipMax, store: storeFor(redis, "2fa-ip") }),
    // Every registration attempt counts (a 409 or a 400 too): accounts are cheap to ask for and
    // each one costs an argon2 hash.
    registerPerIp: rateLimit({
      ...common,
      windowMs: config.rateLimit.registerWindowMs,
      handler: tooManyRequests(config.rateLimit.registerWindowMs),
      limit: config.rateLimit.registerIpMax,
      store: storeFor(redis, "register-ip"),
    }),
  };
}
