// Re-enrolment after an administrator reset a user's 2FA (DESIGN §6 rule 20). The reset makes the
// 2FA setup the only thing the account can do — but whoever has the password (the very person the
// reset may be about) must not be the one who enrols the new factor. So the setup needs a one-time
// link emailed to the account's address (24 h) AND the password (two-factor/step-up.ts).
//  - The link carries a 256-bit random token; only its SHA-256 is stored (nothing to guess, no slow
//    hash needed); the outbox keeps the token encrypted until the mail is out (mail/outbox.ts).
//  - A link works only while the account still needs the setup: the first factor added ends the
//    requirement and deletes every link ("one-time"); a new reset or "send the link again"
//    replaces the earlier links.
import crypto from "node:crypto";
import { Prisma } from "@prisma/client";
import type { Context } from "../context";
import type { Db } from "../db/prisma";
import { sqlTime } from "../db/sql";
import { AppError } from "../http/errors";
import { eventData, sqlEnqueueMail } from "../mail/outbox";
import { sqlAuditInsert, type RequestMeta } from "../security/audit";

export const ENROLMENT_LINK_TTL_MS = 24 * 60 * 60 * 1000;
/** "Send the link again": at most one link per account in this time. */
export const ENROLMENT_RESEND_INTERVAL_MS = 10 * 60 * 1000;

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const hashToken = (token: string) => crypto.createHash("sha256").update(token).digest("hex");

export interface NewEnrolmentLink {
  token: string;
  expiresAt: string;
  /** the mail's `sealed` part: the token, encrypted until the mail is out */
  sealed: { token: string };
}

export function newEnrolmentLink(ctx: Pick<Context, "secretBox">, nowMs: number): NewEnrolmentLink {
  const token = crypto.randomBytes(32).toString("base64url");
  return { token, expiresAt: new Date(nowMs + ENROLMENT_LINK_TTL_MS).toISOString(), sealed: { token: ctx.secretBox.encrypt(token) } };
}

/** Replaces the user's links by this one (inside the admin reset's transaction). */
export async function storeEnrolmentLink(tx: Pick<Db, "$executeRaw">, userId: string, link: NewEnrolmentLink, nowMs: number): Promise<void> {
  await tx.$executeRaw`
    WITH d AS (DELETE FROM "EnrolmentLink" WHERE "userId" = ${userId})
    INSERT INTO "EnrolmentLink" ("tokenHash", "userId", "createdAt", "expiresAt")
    VALUES (${hashToken(link.token)}, ${userId}, ${sqlTime(nowMs)}, ${sqlTime(Date.parse(link.expiresAt))})`;
}

/**
 * POST /auth/2fa/enrolment-link: a fresh link to the account's own address, only while the setup is
 * required and at most one per ENROLMENT_RESEND_INTERVAL_MS (429 with Retry-After before that).
 * ONE statement, guarded on the user row (User.enrolmentLinkSentAt, re-checked under its row lock):
 * of a burst of requests exactly one issues a link; the link, its audit row and its mail go with it.
 */
export async function resendEnrolmentLink(ctx: Context, userId: string, meta: RequestMeta): Promise<void> {
  const now = ctx.clock.now();
  const link = newEnrolmentLink(ctx, now);
  const idOfU = Prisma.sql`(SELECT "id" FROM u)`;
  const data = { ...eventData(meta, now), expiresAt: link.expiresAt, sealed: link.sealed };
  const [row] = await ctx.db.$queryRaw<{ issued: number; required: boolean; sentAt: Date | null }[]>`
    WITH u AS (
      UPDATE "User" SET "enrolmentLinkSentAt" = ${sqlTime(now)}
      WHERE "id" = ${userId} AND "twoFactorSetupRequired"
        AND ("enrolmentLinkSentAt" IS NULL OR "enrolmentLinkSentAt" <= ${sqlTime(now - ENROLMENT_RESEND_INTERVAL_MS)})
      RETURNING "id"
    ), d AS (DELETE FROM "EnrolmentLink" WHERE "userId" = ${idOfU}),
    l AS (
      INSERT INTO "EnrolmentLink" ("tokenHash", "userId", "createdAt", "expiresAt")
      SELECT ${hashToken(link.token)}, "id", ${sqlTime(now)}, ${sqlTime(Date.parse(link.expiresAt))} FROM u
    ),
    a AS (${sqlAuditInsert(idOfU, "ENROLMENT_LINK_SENT", meta)} WHERE EXISTS (SELECT 1 FROM u)),
    m AS (${sqlEnqueueMail(idOfU, "twofa_enrolment_link", data, now)})
    SELECT (SELECT count(*)::int FROM u) AS issued, "twoFactorSetupRequired" AS required, "enrolmentLinkSentAt" AS "sentAt"
    FROM "User" WHERE "id" = ${userId}`;
  if (row?.issued === 1) return;
  if (!row?.required) throw new AppError("TWOFA_ALREADY_ENABLED", {}, "Two-factor authentication does not need to be set up again");
  const retryAfterSeconds = Math.max(1, Math.ceil(((row.sentAt?.getTime() ?? now) + ENROLMENT_RESEND_INTERVAL_MS - now) / 1000));
  throw new AppError("TOO_MANY_REQUESTS", { retryAfterSeconds });
}

/** The link's token must name a live link of THIS user while the setup is still required: else 400 ENROLMENT_LINK_*. */
export async function checkEnrolmentLink(ctx: Context, userId: string, token: string): Promise<void> {
  if (!TOKEN_PATTERN.test(token)) throw new AppError("ENROLMENT_LINK_INVALID");
  const [link] = await ctx.db.$queryRaw<{ expiresAt: Date; required: boolean }[]>`
    SELECT l."expiresAt", u."twoFactorSetupRequired" AS required
    FROM "EnrolmentLink" l JOIN "User" u ON u."id" = l."userId"
    WHERE l."tokenHash" = ${hashToken(token)} AND l."userId" = ${userId}`;
  if (!link || !link.required) throw new AppError("ENROLMENT_LINK_INVALID");
  if (link.expiresAt.getTime() <= ctx.clock.now()) throw new AppError("ENROLMENT_LINK_EXPIRED");
}
