import crypto from "node:crypto";
import { Prisma } from "@prisma/client";
import type { RequestMeta } from "../security/audit";
import type { AuditEventType } from "../security/audit";

/**
 * A point in time from the injected clock as a UTC `timestamp` (the columns are
 * TIMESTAMP(3) without time zone, written in UTC by Prisma), independent of the session TimeZone.
 */
export const sqlTime = (ms: number) => Prisma.sql`(${new Date(ms).toISOString()}::timestamptz AT TIME ZONE 'UTC')`;

/** An INSERT of one audit row, to be used as a data-modifying CTE (saves a round trip). */
export function sqlAuditInsert(userIdExpr: Prisma.Sql, type: AuditEventType, meta: RequestMeta, detail?: Record<string, unknown>) {
  return Prisma.sql`INSERT INTO "AuditEvent" ("id", "userId", "type", "ip", "userAgent", "detail")
    SELECT ${crypto.randomUUID()}, ${userIdExpr}, ${type}, ${meta.ip}, ${meta.userAgent}, ${detail ? JSON.stringify(detail) : null}::jsonb`;
}
