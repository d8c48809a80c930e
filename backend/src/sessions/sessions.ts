// Server-side sessions (DESIGN §3, §4): one row per login. The access and refresh tokens carry
// its id (`sid`), every authenticated request checks the row in ONE round trip (Session joined
// to User), so revoking a row ends that session at once, on every instance.
import crypto from "node:crypto";
import { Prisma, type AuthMethod, type Role } from "@prisma/client";
import type { SqlRunner } from "../db/hot-sql";
import type { Db } from "../db/prisma";
import { sqlTime } from "../db/sql";
import { sqlAuditInsert, type AuditEventType, type RequestMeta } from "../security/audit";
import type { SessionUser } from "../auth/session";
import { TOKEN_TTL_SECONDS } from "../auth/tokens";
import { describeDevice } from "./device-label";
import { eventData, sqlEnqueueMail } from "../mail/outbox";
import { sqlTwoFactorOn } from "../two-factor/factors";

/** Absolute lifetime: refreshing never extends a session past 30 days after its login. */
export const SESSION_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;
/** A refresh token one generation old still works this long after its rotation (two tabs racing, a lost response). */
export const REFRESH_GRACE_MS = 10_000;
/** lastSeenAt is written at most this often per session, never on every request. */
export const LAST_SEEN_RESOLUTION_MS = 60_000;

export interface SessionState {
  id: string;
  userId: string;
  authTimeMs: number;
  expiresAt: Date;
  refreshGeneration: number;
  trustedDeviceId: string | null;
}

/** 192 random bits: the id names the row; the signed tokens that carry it are the credential. */
export const newSessionId = () => crypto.randomBytes(24).toString("base64url");

type Sql = Pick<Db, "$queryRaw" | "$executeRaw">;

export interface NewSession {
  id: string;
  authMethod: AuthMethod;
  nowMs: number;
  meta: RequestMeta;
  trustedDeviceId?: string | null;
}

/** INSERT ... SELECT of a session row, usable alone or as a data-modifying CTE (append a WHERE). */
export function sqlInsertSession(userIdExpr: Prisma.Sql, s: NewSession): Prisma.Sql {
  const now = sqlTime(s.nowMs);
  return Prisma.sql`INSERT INTO "Session" ("id", "userId", "createdAt", "lastSeenAt", "expiresAt", "ip", "userAgent", "authMethod", "authTime", "trustedDeviceId")
    SELECT ${s.id}, ${userIdExpr}, ${now}, ${now}, ${sqlTime(s.nowMs + SESSION_LIFETIME_MS)}, ${s.meta.ip}, ${s.meta.userAgent},
      ${s.authMethod}::"AuthMethod", ${now}, ${s.trustedDeviceId ?? null}`;
}

/** The state of a session that sqlInsertSession just wrote. */
export function insertedSessionState(userId: string, s: NewSession): SessionState {
  return {
    id: s.id,
    userId,
    authTimeMs: s.nowMs,
    expiresAt: new Date(s.nowMs + SESSION_LIFETIME_MS),
    refreshGeneration: 0,
    trustedDeviceId: s.trustedDeviceId ?? null,
  };
}

export async function createSession(db: Sql, userId: string, s: Omit<NewSession, "id">): Promise<SessionState> {
  const session = { ...s, id: newSessionId() };
  await db.$executeRaw`${sqlInsertSession(Prisma.sql`${userId}`, session)}`;
  return insertedSessionState(userId, session);
}

interface SessionUserRow {
  id: string;
  email: string;
  role: string;
  tokenVersion: number;
  twoFactorEnabled: boolean;
  sessionId: string;
  authTime: Date;
  expiresAt: Date;
  refreshGeneration: number;
  trustedDeviceId: string | null;
}

// "2FA on" is derived from the factor tables (two-factor/factors.ts) inside the same statement:
// two index lookups, still ONE round trip for the session check.
const SESSION_USER_COLUMNS = Prisma.sql`u."id", u."email", u."role"::text AS "role", u."tokenVersion",
  ${sqlTwoFactorOn(Prisma.sql`u."id"`)} AS "twoFactorEnabled",
  s."id" AS "sessionId", s."authTime", s."expiresAt", s."refreshGeneration", s."trustedDeviceId"`;

function split(row: SessionUserRow): { user: SessionUser; session: SessionState } {
  return {
    user: { id: row.id, email: row.email, role: row.role as Role, tokenVersion: row.tokenVersion, twoFactorEnabled: row.twoFactorEnabled },
    session: {
      id: row.sessionId,
      userId: row.id,
      authTimeMs: row.authTime.getTime(),
      expiresAt: row.expiresAt,
      refreshGeneration: row.refreshGeneration,
      trustedDeviceId: row.trustedDeviceId,
    },
  };
}

/**
 * The one query behind every authenticated request: the live session and its user. Run on the
 * raw pool (db/hot-sql.ts: Prisma's pipeline cost more than the query itself). The caller
 * compares tokenVersion with the token's `tv`.
 */
export async function findLiveSession(run: SqlRunner, claims: { sub: string; sid: string }, nowMs: number) {
  const rows = await run<SessionUserRow & { lastSeenAt: Date; twoFactorSetupRequired: boolean; twoFactorRequiredSince: Date | null }>(Prisma.sql`
    SELECT ${SESSION_USER_COLUMNS}, s."lastSeenAt", u."twoFactorSetupRequired", u."twoFactorRequiredSince"
    FROM "Session" s JOIN "User" u ON u."id" = s."userId"
    WHERE s."id" = ${claims.sid} AND s."userId" = ${claims.sub} AND s."revokedAt" IS NULL AND s."expiresAt" > ${sqlTime(nowMs)}`);
  const row = rows[0];
  return row ? { ...split(row), lastSeenAt: row.lastSeenAt, twoFactor: { setupRequired: row.twoFactorSetupRequired, requiredSince: row.twoFactorRequiredSince } } : null;
}

/**
 * lastSeenAt, at most once a minute: the request has already been answered from the read, so
 * this write is not awaited (a lost update only makes "last active" a minute older). The
 * WHERE clause keeps concurrent requests from writing it twice.
 */
export function touchSession(db: Sql, sessionId: string, nowMs: number, onError: (err: Error) => void) {
  db.$executeRaw`UPDATE "Session" SET "lastSeenAt" = ${sqlTime(nowMs)}
    WHERE "id" = ${sessionId} AND "lastSeenAt" <= ${sqlTime(nowMs - LAST_SEEN_RESOLUTION_MS)}`.then(() => undefined, onError);
}

export type RefreshOutcome =
  | { kind: "rotated"; user: SessionUser; session: SessionState }
  | { kind: "reused" }
  | { kind: "invalid" };

/**
 * Refresh-token rotation with generations. The happy path is ONE statement: the UPDATE matches
 * only while `gen` equals the row's refreshGeneration (and the session is live and tokenVersion
 * unchanged), and increments it. Of two requests with the same token the row lock lets one
 * through; the other re-checks after it commits, finds gen one behind within the grace period
 * and gets tokens for the current generation. An older generation is a stolen token replayed
 * (or the thief's copy after the owner rotated): the whole session is revoked.
 */
export async function rotateRefreshToken(
  db: Sql,
  run: SqlRunner,
  claims: { sub: string; sid: string; gen: number; tv: number },
  nowMs: number,
  meta: RequestMeta,
): Promise<RefreshOutcome> {
  const now = sqlTime(nowMs);
  const rotated = await run<SessionUserRow>(Prisma.sql`
    WITH s AS (
      UPDATE "Session" SET "refreshGeneration" = "refreshGeneration" + 1, "rotatedAt" = ${now}
      WHERE "id" = ${claims.sid} AND "userId" = ${claims.sub} AND "refreshGeneration" = ${claims.gen}
        AND "revokedAt" IS NULL AND "expiresAt" > ${now}
        AND EXISTS (SELECT 1 FROM "User" WHERE "id" = ${claims.sub} AND "tokenVersion" = ${claims.tv})
      RETURNING *
    )
    SELECT ${SESSION_USER_COLUMNS} FROM s JOIN "User" u ON u."id" = s."userId"`);
  if (rotated[0]) return { kind: "rotated", ...split(rotated[0]) };

  const rows = await db.$queryRaw<(SessionUserRow & { rotatedAt: Date | null; revokedAt: Date | null })[]>`
    SELECT ${SESSION_USER_COLUMNS}, s."rotatedAt", s."revokedAt"
    FROM "Session" s JOIN "User" u ON u."id" = s."userId"
    WHERE s."id" = ${claims.sid} AND s."userId" = ${claims.sub}`;
  const row = rows[0];
  if (!row || row.revokedAt || row.expiresAt.getTime() <= nowMs || row.tokenVersion !== claims.tv) return { kind: "invalid" };
  const behind = row.refreshGeneration - claims.gen;
  if (behind === 1 && row.rotatedAt && nowMs - row.rotatedAt.getTime() <= REFRESH_GRACE_MS) return { kind: "rotated", ...split(row) };
  if (behind >= 1) {
    await revokeSession(db, { userId: claims.sub, sessionId: claims.sid, nowMs, meta, reason: "refresh_token_reuse", event: "REFRESH_TOKEN_REUSE", mail: "refresh_token_reuse" });
    return { kind: "reused" };
  }
  return { kind: "invalid" };
}

/**
 * Ends one session of this user and audits it (and, with `mail`, emails the user about it), in
 * one statement; false when there was no live session with that id for this user (unknown,
 * another user's, or already ended).
 */
export async function revokeSession(
  db: Sql,
  args: { userId: string; sessionId: string; nowMs: number; meta: RequestMeta; reason: string; event: AuditEventType; mail?: "refresh_token_reuse" },
): Promise<boolean> {
  const mail = args.mail
    ? Prisma.sql`, m AS (${sqlEnqueueMail(Prisma.sql`${args.userId}`, args.mail, eventData(args.meta, args.nowMs), args.nowMs, { when: Prisma.sql`EXISTS (SELECT 1 FROM r)` })})`
    : Prisma.empty;
  const rows = await db.$queryRaw<{ id: string }[]>`
    WITH r AS (
      UPDATE "Session" SET "revokedAt" = ${sqlTime(args.nowMs)}, "revokedReason" = ${args.reason}
      WHERE "id" = ${args.sessionId} AND "userId" = ${args.userId} AND "revokedAt" IS NULL AND "expiresAt" > ${sqlTime(args.nowMs)}
      RETURNING "id", "userId"
    ), a AS (${sqlAuditInsert(Prisma.sql`(SELECT "userId" FROM r)`, args.event, args.meta, { sessionId: args.sessionId, reason: args.reason })} WHERE EXISTS (SELECT 1 FROM r))${mail}
    SELECT "id" FROM r`;
  return rows.length === 1;
}

/**
 * Every live session of the user but `keepSessionId` (null: all of them). A Prisma operation, not
 * an async function, so callers can put it in a batch `$transaction([...])` (one connection).
 */
export function revokeOtherSessions(db: Pick<Db, "session">, userId: string, keepSessionId: string | null, nowMs: number, reason: string) {
  return db.session.updateMany({
    where: { userId, revokedAt: null, ...(keepSessionId ? { id: { not: keepSessionId } } : {}) },
    data: { revokedAt: new Date(nowMs), revokedReason: reason },
  });
}

/**
 * The sessions a user can still be signed in with. Besides revoked and expired rows, a session
 * idle for longer than a refresh token lives is left out: every token is issued at login, at a
 * rotation or by an authenticated request (which moves lastSeenAt), so none of its tokens works.
 */
export async function listSessions(db: Pick<Db, "session">, userId: string, currentSessionId: string, nowMs: number) {
  const rows = await db.session.findMany({
    where: { userId, revokedAt: null, expiresAt: { gt: new Date(nowMs) } },
    orderBy: [{ lastSeenAt: "desc" }, { id: "asc" }],
    select: { id: true, createdAt: true, lastSeenAt: true, rotatedAt: true, ip: true, userAgent: true, authMethod: true },
  });
  const idleLimit = nowMs - (TOKEN_TTL_SECONDS.refresh + LAST_SEEN_RESOLUTION_MS / 1000) * 1000;
  return rows
    .filter((s) => s.id === currentSessionId || Math.max(s.createdAt.getTime(), s.lastSeenAt.getTime(), s.rotatedAt?.getTime() ?? 0) > idleLimit)
    .map(({ rotatedAt: _r, ...s }) => ({ ...s, current: s.id === currentSessionId, device: describeDevice(s.userAgent) }));
}
