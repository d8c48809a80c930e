import crypto from "node:crypto";
import { Prisma, type Role } from "@prisma/client";
import type { Context } from "../context";
import { AppError } from "../http/errors";
import { recordAuditEvent, sqlAuditInsert, type RequestMeta } from "../security/audit";
import { eventData, sqlEnqueueMail, sqlUnseenDevice, sqlUnseenDeviceAddress } from "../mail/outbox";
import { beginLoginAttempt, giveBackLoginAttempt, recordLoginFailure } from "../security/login-budget";
import { burnPasswordVerification, hashPassword, verifyPassword } from "./password";
import { createSession, type SessionState } from "../sessions/sessions";
import { useTrustedDevice, type DeviceCookie } from "../sessions/trusted-devices";
import { SESSION_USER_SELECT, toSessionUser, type SessionUser } from "./session";
import { anyFactor, loginMethods, sqlFactorColumns, type LoginMethod } from "../two-factor/factors";
import { assertMaySignIn } from "./sign-in-gate";

export async function registerUser(ctx: Context, input: { email: string; password: string }, meta: RequestMeta): Promise<{ user: SessionUser; session: SessionState }> {
  const passwordHash = await hashPassword(input.password);
  try {
    // Every statement on tx: this transaction never needs a second pooled connection.
    return await ctx.db.$transaction(async (tx) => {
      const user = toSessionUser(await tx.user.create({ data: { email: input.email, passwordHash }, select: SESSION_USER_SELECT }));
      await recordAuditEvent(tx, { userId: user.id, type: "REGISTERED", meta });
      const session = await createSession(tx, user.id, { authMethod: "password", nowMs: ctx.clock.now(), meta });
      return { user, session };
    });
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") throw new AppError("EMAIL_TAKEN");
    throw err;
  }
}

export type LoginOutcome =
  | { kind: "session"; user: SessionUser; session: SessionState; deviceCookie?: DeviceCookie }
  | { kind: "twoFactor"; userId: string; challengeId: string; methods: LoginMethod[] };

/** What the browser brings to a login. */
export interface LoginCookies {
  /** the remembered device (trusted_device): a live one of THIS user replaces the code step (and is rotated) */
  trustedDevice?: unknown;
  /** the device cookie (security/device-cookie.ts): decides which failure budget the password check spends */
  device?: unknown;
}

/**
 * The password step: a session (no 2FA, or a live remembered device of this user), or a login
 * challenge for the code step. Wrong passwords are budgeted (checkPassword).
 */
export async function loginWithPassword(ctx: Context, input: { email: string; password: string }, meta: RequestMeta, cookies: LoginCookies = {}): Promise<LoginOutcome> {
  const user = await checkPassword(ctx, input, meta, cookies.device);
  const factors = { totp: user.totp, passkeys: user.passkeys };
  const sessionUser: SessionUser = { id: user.id, email: user.email, role: user.role, tokenVersion: user.tokenVersion, twoFactorEnabled: anyFactor(factors) };
  const now = ctx.clock.now();
  if (!sessionUser.twoFactorEnabled) {
    // the gate every sign-in passes (sign-in-gate.ts); with 2FA it is passed at the code step
    // (or below, for a remembered device), where the session is created
    assertMaySignIn(user, now);
    const session = await createSession(ctx.db, user.id, { authMethod: "password", nowMs: now, meta });
    // The audit event and, from a browser this account never used, the security email: one statement.
    await ctx.db.$executeRaw`WITH a AS (${sqlAuditInsert(Prisma.sql`${user.id}`, "LOGIN_SUCCESS", meta, { method: "password" })})
      ${sqlEnqueueMail(Prisma.sql`${user.id}`, "new_device_sign_in", { ...eventData(meta, now), method: "password" }, now, { when: sqlUnseenDevice(user.id, meta.userAgent, session.id) })}`;
    return { kind: "session", user: sessionUser, session };
  }
  if (cookies.trustedDevice !== undefined) {
    // a remembered device skips the code step, never the gate: a locked account gets no session
    assertMaySignIn(user, now);
    // One transaction (every statement on tx): the device's secret is rotated only together with
    // the session that the new cookie value is sent with.
    const remembered = await ctx.db.$transaction(async (tx) => {
      const rotated = await useTrustedDevice(tx, user.id, cookies.trustedDevice, now, meta);
      if (!rotated) return null;
      const session = await createSession(tx, user.id, { authMethod: "trusted_device", nowMs: now, meta, trustedDeviceId: rotated.id });
      // The code step was skipped on the strength of a cookie: from an address this device never
      // signed in from, the owner is told (a copied cookie is used from elsewhere).
      await tx.$executeRaw`WITH a AS (${sqlAuditInsert(Prisma.sql`${user.id}`, "LOGIN_SUCCESS", meta, { method: "trusted_device" })})
        ${sqlEnqueueMail(Prisma.sql`${user.id}`, "new_device_sign_in", { ...eventData(meta, now), method: "trusted_device" }, now, { when: sqlUnseenDeviceAddress(rotated.id, meta.ip, session.id) })}`;
      return { session, deviceCookie: rotated };
    });
    if (remembered) return { kind: "session", user: sessionUser, ...remembered };
  }
  // The challenge is the server side of the twofa_token: without a row here the token is
  // worthless, and the row can be consumed exactly once (two-factor/verify-login.ts).
  const challengeId = crypto.randomBytes(24).toString("base64url");
  await ctx.db.loginChallenge.create({
    data: { id: challengeId, userId: user.id, expiresAt: new Date(ctx.clock.now() + ctx.config.loginChallengeTtlSeconds * 1000) },
  });
  return { kind: "twoFactor", userId: user.id, challengeId, methods: loginMethods(factors) };
}

/**
 * The password step under the failure budgets (security/login-budget.ts): an attempt is taken
 * first (429 when none is left, whatever the password), a wrong password keeps it spent, a right
 * one gives it back. An unknown email costs and answers exactly like a wrong password.
 */
async function checkPassword(ctx: Context, input: { email: string; password: string }, meta: RequestMeta, deviceCookie: unknown) {
  const attempt = await beginLoginAttempt(ctx, input.email, deviceCookie);
  let user: Awaited<ReturnType<typeof findLoginUser>>;
  let right: boolean;
  try {
    user = await findLoginUser(ctx, input.email);
    if (user) {
      right = await verifyPassword(user.passwordHash, input.password);
    } else {
      await burnPasswordVerification(input.password);
      right = false;
    }
  } catch (err) {
    // nothing was judged (e.g. 503, the hashing queue is full): not a guess
    await giveBackLoginAttempt(ctx, attempt).catch((e: Error) => ctx.logger.warn({ err: { message: e.message } }, "login attempt not given back"));
    throw err;
  }
  if (!user || !right) {
    const detail = { reason: user ? "wrong_password" : "unknown_email" };
    await recordLoginFailure(ctx, attempt, { userId: user?.id ?? null, meta, detail });
    throw new AppError("INVALID_CREDENTIALS");
  }
  await giveBackLoginAttempt(ctx, attempt);
  return user;
}

/**
 * The account behind an email with its factors, in ONE statement: Prisma's select of the
 * one-to-one TotpCredential costs a second round trip (bench/RESULTS.md, login: 4 statements
 * instead of 3).
 */
async function findLoginUser(ctx: Context, email: string) {
  const [row] = await ctx.db.$queryRaw<{ id: string; email: string; role: string; tokenVersion: number; passwordHash: string; twoFactorLockedUntil: Date | null; totp: boolean; passkeys: number }[]>`
    SELECT u."id", u."email", u."role"::text AS "role", u."tokenVersion", u."passwordHash", u."twoFactorLockedUntil", ${sqlFactorColumns(Prisma.sql`u."id"`)}
    FROM "User" u WHERE u."email" = ${email}`;
  return row ? { ...row, role: row.role as Role } : null;
}
