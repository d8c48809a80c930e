// "Remember this device" (DESIGN §3, §4): a row per device; the trusted_device cookie holds
// `<id>.<secret>` and only SHA-256(secret) is stored. The secret is replaced on every use, so a
// copy of the cookie taken before a use stops working, and it works for its own user only.
import crypto from "node:crypto";
import { Prisma } from "@prisma/client";
import type { Db } from "../db/prisma";
import { sqlTime } from "../db/sql";
import { sqlAuditInsert, type RequestMeta } from "../security/audit";
import { eventData, sqlEnqueueMail } from "../mail/outbox";
import { describeDevice } from "./device-label";

export const TRUSTED_DEVICE_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

export interface DeviceCookie {
  id: string;
  /** the cookie's value, `<id>.<secret>` */
  value: string;
  ttlSeconds: number;
}

// A 256-bit random secret: its plain SHA-256 is enough (no salt or slow hash needed: nothing to
// guess), and comparing hashes in SQL leaks nothing useful about the secret.
const hashSecret = (secret: string) => crypto.createHash("sha256").update(secret).digest("hex");
const newSecret = () => crypto.randomBytes(32).toString("base64url");

function parseDeviceCookie(value: unknown): { id: string; secret: string } | null {
  if (typeof value !== "string" || value.length > 200) return null;
  const match = /^([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{43})$/.exec(value);
  return match ? { id: match[1], secret: match[2] } : null;
}

const cookieFor = (id: string, secret: string, expiresAt: Date, nowMs: number): DeviceCookie => ({
  id,
  value: `${id}.${secret}`,
  ttlSeconds: Math.max(1, Math.floor((expiresAt.getTime() - nowMs) / 1000)),
});

type Sql = Pick<Db, "$queryRaw">;

/**
 * "Remember this device" at the end of a login: the device row, the link from the session that
 * created it (so the lists can say "This browser"), the audit event and the security email, in
 * one statement.
 */
export async function rememberDevice(db: Sql, userId: string, sessionId: string, nowMs: number, meta: RequestMeta): Promise<DeviceCookie> {
  const id = crypto.randomBytes(18).toString("base64url");
  const secret = newSecret();
  const expiresAt = new Date(nowMs + TRUSTED_DEVICE_LIFETIME_MS);
  await db.$queryRaw`
    WITH d AS (
      INSERT INTO "TrustedDevice" ("id", "userId", "secretHash", "userAgent", "ip", "createdAt", "expiresAt")
      VALUES (${id}, ${userId}, ${hashSecret(secret)}, ${meta.userAgent}, ${meta.ip}, ${sqlTime(nowMs)}, ${sqlTime(expiresAt.getTime())})
      RETURNING "id"
    ), s AS (
      UPDATE "Session" SET "trustedDeviceId" = (SELECT "id" FROM d) WHERE "id" = ${sessionId} AND "userId" = ${userId}
    ), a AS (${sqlAuditInsert(Prisma.sql`${userId}`, "TRUSTED_DEVICE_ADDED", meta)}),
    m AS (${sqlEnqueueMail(Prisma.sql`${userId}`, "trusted_device_added", eventData(meta, nowMs), nowMs)})
    SELECT "id" FROM d`;
  return cookieFor(id, secret, expiresAt, nowMs);
}

/**
 * Uses a remembered device for this user: checks and rotates its secret in ONE statement (the
 * WHERE holds the old hash), so of two requests with the same cookie only the first gets a new
 * one. null when the cookie is malformed, another user's, expired, forgotten or already rotated.
 */
export async function useTrustedDevice(db: Sql, userId: string, cookie: unknown, nowMs: number, meta: RequestMeta): Promise<DeviceCookie | null> {
  const parsed = parseDeviceCookie(cookie);
  if (!parsed) return null;
  const secret = newSecret();
  const rows = await db.$queryRaw<{ expiresAt: Date }[]>`
    UPDATE "TrustedDevice" SET "secretHash" = ${hashSecret(secret)}, "lastUsedAt" = ${sqlTime(nowMs)},
      "ip" = ${meta.ip}, "userAgent" = ${meta.userAgent}
    WHERE "id" = ${parsed.id} AND "userId" = ${userId} AND "secretHash" = ${hashSecret(parsed.secret)} AND "expiresAt" > ${sqlTime(nowMs)}
    RETURNING "expiresAt"`;
  return rows[0] ? cookieFor(parsed.id, secret, rows[0].expiresAt, nowMs) : null;
}

export async function listTrustedDevices(db: Pick<Db, "trustedDevice">, userId: string, currentDeviceId: string | null, nowMs: number) {
  const rows = await db.trustedDevice.findMany({
    where: { userId, expiresAt: { gt: new Date(nowMs) } },
    orderBy: [{ createdAt: "desc" }, { id: "asc" }],
    select: { id: true, createdAt: true, lastUsedAt: true, expiresAt: true, ip: true, userAgent: true },
  });
  return rows.map((d) => ({ ...d, current: d.id === currentDeviceId, device: describeDevice(d.userAgent) }));
}

/** A Prisma operation (batchable): forgets one device, or every device of the user when id is null. */
export function forgetTrustedDevices(db: Pick<Db, "trustedDevice">, userId: string, id: string | null = null) {
  return db.trustedDevice.deleteMany({ where: { userId, ...(id ? { id } : {}) } });
}
