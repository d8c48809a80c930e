// The per-email password budget (DESIGN §6 rules 15–18): at most RATE_LIMIT_EMAIL_FAILURES wrong
// passwords per email per 15 minutes, counted in PostgreSQL (so it holds across instances and
// while Redis is down), for every client without a valid device cookie of that account
// (security/device-cookie.ts); a client with one spends the cookie's own budget instead.
//  - An attempt is taken BEFORE the password is judged, and the check and the count are one
//    statement: of any burst, at most the budget is ever evaluated. A right password (or a
//    failure that judged nothing, e.g. 503) gives its attempt back.
//  - Known and unknown addresses are counted alike, under the SHA-256 of the normalised email:
//    the lock answers the same for both (no enumeration), and an address without an account is
//    not stored in clear.
//  - The answer while locked is the flood limit's (429 TOO_MANY_REQUESTS + Retry-After), and no
//    header ever tells how many attempts are left.
//  - The attempt that engages the lock emails the owner (once per window) in the statement that
//    records it; admin unlock and a completed password reset lift it (liftLoginLock).
import crypto from "node:crypto";
import { Prisma } from "@prisma/client";
import type { Context } from "../context";
import type { Db } from "../db/prisma";
import { sqlTime } from "../db/sql";
import { AppError } from "../http/errors";
import { eventData, sqlEnqueueMail, sqlIsoTime } from "../mail/outbox";
import { sqlAuditInsert, type RequestMeta } from "./audit";
import { DEVICE_COOKIE_FAILURES, readDeviceCookie } from "./device-cookie";

/** One attempt taken from a budget: the device cookie's, or the email's. */
export type LoginAttempt =
  | { by: "device"; deviceId: string }
  | { by: "email"; emailHash: string; failures: number; windowStartedAt: Date };

type BudgetContext = Pick<Context, "db" | "config" | "clock">;

export const emailHash = (email: string) => crypto.createHash("sha256").update(email, "utf8").digest("hex");
/** The same hash computed by PostgreSQL from a stored (normalised) email. */
const sqlEmailHash = (emailExpr: Prisma.Sql) => Prisma.sql`encode(sha256(convert_to(${emailExpr}, 'UTF8')), 'hex')`;

const windowOf = (ctx: BudgetContext) => ctx.config.rateLimit.windowMs;
const sqlWindow = (ctx: BudgetContext) => Prisma.sql`(${windowOf(ctx)} * interval '1 millisecond')`;

/**
 * Takes one attempt for a password check of `email`: from the device cookie's budget when the
 * browser holds a live one of THIS account, else from the email's. Throws 429 when neither has
 * one left. The only place that decides which limit applies to a login.
 */
export async function beginLoginAttempt(ctx: BudgetContext, email: string, deviceCookie: unknown): Promise<LoginAttempt> {
  const now = ctx.clock.now();
  const device = readDeviceCookie(ctx.config.deviceCookieKey, deviceCookie);
  const hash = emailHash(email);
  const limit = ctx.config.rateLimit.emailFailures;
  const expired = Prisma.sql`b."windowStartedAt" <= ${sqlTime(now - windowOf(ctx))}`;
  const [row] = await ctx.db.$queryRaw<{ deviceId: string | null; failures: number | null; windowStartedAt: Date | null; lockedSince: Date | null }[]>`
    WITH d AS (
      UPDATE "DeviceCookie" SET "failures" = "failures" + 1, "lastUsedAt" = ${sqlTime(now)}
      WHERE "id" = ${device?.id ?? null} AND "userId" = ${device?.userId ?? null}
        AND "failures" < ${DEVICE_COOKIE_FAILURES} AND "expiresAt" > ${sqlTime(now)}
        AND EXISTS (SELECT 1 FROM "User" WHERE "id" = ${device?.userId ?? null} AND "email" = ${email})
      RETURNING "id"
    ), e AS (
      INSERT INTO "LoginBudget" AS b ("emailHash", "failures", "windowStartedAt")
      SELECT ${hash}, 1, ${sqlTime(now)} WHERE NOT EXISTS (SELECT 1 FROM d)
      ON CONFLICT ("emailHash") DO UPDATE SET
        "failures" = CASE WHEN ${expired} THEN 1 ELSE b."failures" + 1 END,
        "windowStartedAt" = CASE WHEN ${expired} THEN ${sqlTime(now)} ELSE b."windowStartedAt" END
      WHERE ${expired} OR b."failures" < ${limit}
      RETURNING "failures", "windowStartedAt"
    )
    SELECT (SELECT "id" FROM d) AS "deviceId", (SELECT "failures" FROM e) AS "failures", (SELECT "windowStartedAt" FROM e) AS "windowStartedAt",
      (SELECT "windowStartedAt" FROM "LoginBudget" WHERE "emailHash" = ${hash}) AS "lockedSince"`;
  if (row.deviceId) return { by: "device", deviceId: row.deviceId };
  if (row.failures !== null && row.windowStartedAt) return { by: "email", emailHash: hash, failures: row.failures, windowStartedAt: row.windowStartedAt };
  // Locked. The snapshot may predate the row (a concurrent first attempt): then a whole window.
  const until = (row.lockedSince?.getTime() ?? now) + windowOf(ctx);
  const retryAfterSeconds = Math.max(1, Math.ceil((until - now) / 1000));
  throw new AppError("TOO_MANY_REQUESTS", { retryAfterSeconds });
}

/** The password was right, or was never judged (an error): the attempt goes back to its budget. */
export async function giveBackLoginAttempt(ctx: BudgetContext, attempt: LoginAttempt): Promise<void> {
  if (attempt.by === "device") {
    await ctx.db.$executeRaw`UPDATE "DeviceCookie" SET "failures" = "failures" - 1 WHERE "id" = ${attempt.deviceId} AND "failures" > 0`;
  } else {
    // only into the window it was taken from (an unlock or a new window since: nothing to give back)
    await ctx.db.$executeRaw`UPDATE "LoginBudget" SET "failures" = "failures" - 1
      WHERE "emailHash" = ${attempt.emailHash} AND "windowStartedAt" = ${sqlTime(attempt.windowStartedAt.getTime())} AND "failures" > 0`;
  }
}

/**
 * A wrong password: the attempt stays spent. Audits it, and when it was the email's last attempt,
 * in the same statement, audits LOGIN_LOCKED and emails the account's owner — once per window
 * whatever the concurrency (notifiedAt is set by the statement that sends it). An unknown email
 * runs the same statement; it just finds no user to write to.
 */
export async function recordLoginFailure(
  ctx: BudgetContext,
  attempt: LoginAttempt,
  args: { userId: string | null; meta: RequestMeta; detail: Record<string, unknown> },
): Promise<void> {
  const now = ctx.clock.now();
  const limit = ctx.config.rateLimit.emailFailures;
  const last = attempt.by === "email" && attempt.failures >= limit;
  const userId = Prisma.sql`${args.userId}::text`;
  const detail = attempt.by === "device" ? { ...args.detail, deviceCookie: true } : args.detail;
  const until = Prisma.sql`(SELECT "windowStartedAt" + ${sqlWindow(ctx)} FROM n)`;
  await ctx.db.$executeRaw`
    WITH a AS (${sqlAuditInsert(userId, "LOGIN_FAILURE", args.meta, detail)}),
    n AS (
      UPDATE "LoginBudget" SET "notifiedAt" = ${sqlTime(now)}
      WHERE ${last} AND "emailHash" = ${attempt.by === "email" ? attempt.emailHash : null} AND "failures" >= ${limit}
        AND "windowStartedAt" > ${sqlTime(now - windowOf(ctx))} AND ("notifiedAt" IS NULL OR "notifiedAt" < "windowStartedAt")
      RETURNING "windowStartedAt"
    ),
    l AS (${sqlAuditInsert(userId, "LOGIN_LOCKED", args.meta)} WHERE ${args.userId}::text IS NOT NULL AND EXISTS (SELECT 1 FROM n)),
    m AS (${sqlEnqueueMail(userId, "login_locked", eventData(args.meta, now), now, {
      when: Prisma.sql`EXISTS (SELECT 1 FROM n)`,
      extra: Prisma.sql`jsonb_build_object('until', ${sqlIsoTime(until)})`,
    })})
    SELECT 1`;
}

/**
 * The moment the password login of the user whose email is `emailExpr` unlocks, or NULL when it
 * is not locked (the admin list).
 */
export function sqlLoginLockedUntil(ctx: BudgetContext, emailExpr: Prisma.Sql): Prisma.Sql {
  const now = ctx.clock.now();
  return Prisma.sql`(SELECT lb."windowStartedAt" + ${sqlWindow(ctx)} FROM "LoginBudget" lb
    WHERE lb."emailHash" = ${sqlEmailHash(emailExpr)} AND lb."failures" >= ${ctx.config.rateLimit.emailFailures}
      AND lb."windowStartedAt" > ${sqlTime(now - windowOf(ctx))})`;
}

/**
 * DELETE of the email's budget (a data-modifying CTE or a statement of its own): the lock and
 * the count are gone. RETURNING "locked": whether it was locked.
 */
export function sqlLiftLoginLock(ctx: BudgetContext, emailExpr: Prisma.Sql): Prisma.Sql {
  const now = ctx.clock.now();
  return Prisma.sql`DELETE FROM "LoginBudget" WHERE "emailHash" = ${sqlEmailHash(emailExpr)}
    RETURNING ("failures" >= ${ctx.config.rateLimit.emailFailures} AND "windowStartedAt" > ${sqlTime(now - windowOf(ctx))}) AS "locked"`;
}

/** Windows that ended are worth nothing: delete them (the count starts again at the next failure anyway). */
export async function pruneLoginBudgets(db: Db, nowMs: number, windowMs: number): Promise<number> {
  return db.$executeRaw`DELETE FROM "LoginBudget" WHERE "windowStartedAt" <= ${sqlTime(nowMs - windowMs)}`;
}
