import crypto from "node:crypto";
import { Prisma, type AuditEventType } from "@prisma/client";
import type { Request } from "express";
import type { Db } from "../db/prisma";

// The event types are a Prisma enum (schema.prisma AuditEventType): a typo cannot be stored.
export { AuditEventType } from "@prisma/client";

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

export function requestMeta(req: Request): RequestMeta {
  return { ip: req.ip ?? null, userAgent: req.get("user-agent")?.slice(0, 512) ?? null };
}

// The two ways to write an event, both here: recordAuditEvent through Prisma (inside a
// transaction when the event belongs to a change), and sqlAuditInsert as a data-modifying CTE
// when a hot path folds the event into the statement that makes the change (saves a round trip).
// Never put secrets, codes or passwords in `detail`.

// Event ids sort in the order the events were written. The list is ordered by (createdAt DESC,
// id DESC), and createdAt is the database's now(), which is the same for every row of one
// transaction (a backup-code login writes three): a random id would put those in a different
// order on every login. Every writer passes id: newAuditId() (the Prisma default, a cuid, would
// sort apart from these).
let lastIdMs = 0;
let idCounter = 0;

/**
 * A UUIDv7 (RFC 9562) that grows with every call in this process: 48 bits of Unix milliseconds,
 * then a 12-bit counter within the millisecond (method 1 of RFC 9562 §6.2), then 62 random bits.
 * Lower-case hex with dashes, so text order (any collation) is the order of generation.
 */
export function newAuditId(nowMs = Date.now()): string {
  if (nowMs > lastIdMs) {
    lastIdMs = nowMs;
    idCounter = 0;
  } else if (++idCounter > 0xfff) {
    lastIdMs += 1; // 4096 ids in one millisecond: borrow the next one, order is kept
    idCounter = 0;
  }
  const random = crypto.randomBytes(8);
  random[0] = (random[0] & 0x3f) | 0x80; // variant 10
  const hex = lastIdMs.toString(16).padStart(12, "0") + (0x7000 | idCounter).toString(16) + random.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * An INSERT of one audit row, to be used as a data-modifying CTE: `a AS (${sqlAuditInsert(...)})`.
 * `extraDetail` is a jsonb expression merged into the detail (values only SQL knows).
 */
export function sqlAuditInsert(userIdExpr: Prisma.Sql, type: AuditEventType, meta: RequestMeta, detail?: Record<string, unknown>, extraDetail?: Prisma.Sql) {
  const json = Prisma.sql`${detail ? JSON.stringify(detail) : null}::jsonb`;
  return Prisma.sql`INSERT INTO "AuditEvent" ("id", "userId", "type", "ip", "userAgent", "detail")
    SELECT ${newAuditId()}, ${userIdExpr}, ${type}::"AuditEventType", ${meta.ip}, ${meta.userAgent}, ${extraDetail ? Prisma.sql`(coalesce(${json}, '{}'::jsonb) || ${extraDetail})` : json}`;
}

export async function recordAuditEvent(
  db: Pick<Db, "auditEvent">,
  event: { userId: string | null; type: AuditEventType; meta: RequestMeta; detail?: Record<string, unknown> },
) {
  await db.auditEvent.create({
    data: { id: newAuditId(), userId: event.userId, type: event.type, ip: event.meta.ip, userAgent: event.meta.userAgent, detail: (event.detail ?? undefined) as object | undefined },
  });
}

/** Where a page of security events ends: the last event's (createdAt, id). */
export interface AuditCursor {
  createdAt: Date;
  id: string;
}

/** Opaque to clients: base64url of "<createdAt ms>:<id>". */
export function encodeAuditCursor(event: AuditCursor): string {
  return Buffer.from(`${event.createdAt.getTime()}:${event.id}`, "utf8").toString("base64url");
}

/** null when the text is not a cursor this server made (the caller answers 400). */
export function decodeAuditCursor(cursor: string): AuditCursor | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  const match = /^(\d{1,15}):([A-Za-z0-9_-]{1,64})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match) return null;
  const createdAt = new Date(Number(match[1]));
  return Number.isNaN(createdAt.getTime()) ? null : { createdAt, id: match[2] };
}

/**
 * One page of a user's events, newest first, and the cursor of the next (older) page or null.
 * Keyset pagination on (createdAt DESC, id DESC): the id breaks ties between events written in
 * the same millisecond (createdAt is TIMESTAMP(3)), so every event is on exactly one page, and
 * new events arriving meanwhile never shift older pages (an attacker's flood of failed logins
 * cannot push older events out of reach).
 */
export async function listAuditEvents(db: Db, userId: string, page: { limit?: number; before?: AuditCursor } = {}) {
  const limit = page.limit ?? 50;
  const before = page.before;
  const rows = await db.auditEvent.findMany({
    where: {
      userId,
      ...(before ? { OR: [{ createdAt: { lt: before.createdAt } }, { createdAt: before.createdAt, id: { lt: before.id } }] } : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit + 1, // one more tells whether an older page exists
    select: { id: true, type: true, ip: true, userAgent: true, detail: true, createdAt: true },
  });
  const events = rows.slice(0, limit);
  return { events, nextCursor: rows.length > limit ? encodeAuditCursor(events[events.length - 1]) : null };
}
