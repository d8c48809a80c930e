// /auth/password/*: change (signed in), forgot / reset (by email link). Thin: parse, one service call, respond.
import { Router, type Request, type RequestHandler } from "express";
import { rateLimit } from "express-rate-limit";
import type { Logger } from "pino";
import type { Config } from "../config";
import type { Context } from "../context";
import { publicUser } from "../auth/session";
import { parseBody } from "../http/validate";
import { requestMeta } from "../security/audit";
import { rateLimitLogger, storeFor, tooManyRequests } from "../security/rate-limit";
import type { RedisLike } from "../security/redis";
import { authenticate } from "../sessions/authenticate";
import { endSessionResponse, issueSessionTokens } from "../sessions/session-cookies";
import { changePasswordSchema, checkResetLinkSchema, forgotPasswordSchema, resetPasswordSchema } from "./account.schemas";
import { changePassword } from "./password-change";
import { checkResetLink, requestPasswordReset, resetPassword } from "./password-reset";

/** What /forgot answers, whether or not the address has an account. */
export const FORGOT_PASSWORD_ANSWER = "If an account exists for this email, a link to reset its password is on its way. It works once, for an hour.";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** the per-address limit for reset emails is spent: answer as usual, send nothing */
      resetMailSuppressed?: boolean;
    }
  }
}

export interface PasswordResetLimiters {
  /** RATE_LIMIT_RESET_IP_MAX requests per IP per hour, on /forgot and on the reset link endpoints (429) */
  perIp: RequestHandler;
  /**
   * RATE_LIMIT_RESET_EMAIL_MAX reset emails per address per hour. Past it the answer does not
   * change (a 429 here would be the only different answer) but no email is sent: nobody can
   * flood someone's mailbox with reset links.
   */
  perEmail: RequestHandler;
}

export function createPasswordResetLimiters(config: Config, redis?: RedisLike, logger?: Logger): PasswordResetLimiters {
  const windowMs = config.rateLimit.resetWindowMs;
  const common = { windowMs, legacyHeaders: false, passOnStoreError: true, ...(logger ? { logger: rateLimitLogger(logger) } : {}) } as const;
  return {
    perIp: rateLimit({ ...common, standardHeaders: "draft-7", limit: config.rateLimit.resetIpMax, handler: tooManyRequests(windowMs), store: storeFor(redis, "reset-ip") }),
    perEmail: rateLimit({
      ...common,
      standardHeaders: false,
      limit: config.rateLimit.resetEmailMax,
      skip: (req: Request) => typeof req.body?.email !== "string",
      keyGenerator: (req: Request) => String(req.body.email).trim().toLowerCase(),
      handler: (req, _res, next) => {
        req.resetMailSuppressed = true;
        next();
      },
      store: storeFor(redis, "reset-email"),
    }),
  };
}

export function passwordRoutes(ctx: Context, limits: PasswordResetLimiters): Router {
  const router = Router();
  const requireAuth = authenticate(ctx);

  router.post("/change", requireAuth, async (req, res) => {
    const input = parseBody(changePasswordSchema, req);
    const { user, session } = req.auth!;
    const changed = await changePassword(ctx, { user, sessionId: session.id, authTimeMs: session.authTimeMs, meta: requestMeta(req) }, input);
    // this session survives the change: re-issued for the new tokenVersion, as a fresh login
    issueSessionTokens(ctx, res, changed.user, { ...session, authTimeMs: changed.authTimeMs });
    res.json({ message: "Password changed", user: publicUser(changed.user) });
  });

  router.post("/forgot", limits.perIp, limits.perEmail, async (req, res) => {
    const { email } = parseBody(forgotPasswordSchema, req);
    if (!req.resetMailSuppressed) await requestPasswordReset(ctx, email, requestMeta(req));
    res.status(202).json({ message: FORGOT_PASSWORD_ANSWER });
  });

  router.post("/reset/check", limits.perIp, async (req, res) => {
    const { token } = parseBody(checkResetLinkSchema, req);
    const { email } = await checkResetLink(ctx, token);
    res.json({ email });
  });

  router.post("/reset", limits.perIp, async (req, res) => {
    const { token, password } = parseBody(resetPasswordSchema, req);
    await resetPassword(ctx, token, password, requestMeta(req));
    // every session of the account ended, this browser's too if it had one
    endSessionResponse(ctx, req, res);
    res.json({ message: "Your password was reset. Log in with the new password." });
  });

  return router;
}
