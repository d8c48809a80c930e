// Flood limits (DESIGN §6.4) with express-rate-limit. These are the coarse outer wall; the
// guessing budget that really protects codes is counted in PostgreSQL (two-factor/budget.ts),
// so it holds across instances even when Redis is absent or down.
import type { Request, RequestHandler } from "express";
import type { Logger } from "pino";
import { rateLimit, type RateLimitInfo, type Store } from "express-rate-limit";
import type { Config } from "../config";
import { errorBody } from "../http/errors";
import { createRedisStore, type RedisLike } from "./redis";

export interface RateLimiters {
  loginPerIp: RequestHandler;
  loginFailuresPerEmail: RequestHandler;
  twoFactorPerIp: RequestHandler;
  /** RATE_LIMIT_REGISTER_IP_MAX registrations per IP per hour (DESIGN §6.13) */
  registerPerIp: RequestHandler;
}

export interface RateLimitOptions {
  /**
   * DESIGN §6.15: true when the request may not be refused by the per-email failed-login limit
   * (a valid trusted-device cookie for this account), so an attacker who spends an account's
   * failure budget cannot lock its owner out of the device they use. Such a request is neither
   * refused nor counted. An error in it counts as false (the limit applies).
   */
  exemptFromEmailLimit?: (req: Request) => Promise<boolean>;
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

const emailOf = (req: Request) => {
  const email = (req.body as { email?: unknown } | undefined)?.email;
  return typeof email === "string" ? email.trim().toLowerCase() : undefined;
};

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
    // user out; the per-account code budget in PostgreSQL still applies.
    passOnStoreError: true,
    handler: tooManyRequests(config.rateLimit.windowMs),
    ...(options.logger ? { logger: rateLimitLogger(options.logger) } : {}),
  };
  const exempt = async (req: Request) => {
    if (!options.exemptFromEmailLimit) return false;
    try {
      return (await options.exemptFromEmailLimit(req)) === true;
    } catch (err) {
      req.log?.warn({ err: { message: (err as Error)?.message } }, "exemptFromEmailLimit failed: the per-email limit applies");
      return false;
    }
  };
  return {
    loginPerIp: rateLimit({ ...common, limit: config.rateLimit.ipMax, store: storeFor(redis, "login-ip") }),
    twoFactorPerIp: rateLimit({ ...common, limit: config.rateLimit.ipMax, store: storeFor(redis, "2fa-ip") }),
    // Counts only failed logins (status >= 400) per email, whatever the IP. No RateLimit headers
    // (DESIGN §6.15): they would tell anyone how many more failures lock this account's owner
    // out; a blocked request still gets Retry-After with its 429.
    loginFailuresPerEmail: rateLimit({
      ...common,
      standardHeaders: false,
      limit: config.rateLimit.emailFailures,
      skipSuccessfulRequests: true,
      // A 5xx (e.g. 503 while the password-hashing queue is full) is not a wrong guess: counting
      // it would let a flood that overloads the server lock the account's owner out.
      requestWasSuccessful: (_req, res) => res.statusCode < 400 || res.statusCode >= 500,
      skip: async (req) => emailOf(req) === undefined || (await exempt(req)),
      keyGenerator: (req) => emailOf(req)!,
      store: storeFor(redis, "login-email"),
    }),
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
