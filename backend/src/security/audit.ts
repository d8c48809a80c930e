import type { Request } from "express";
import type { Db } from "../db/prisma";

export const AUDIT_EVENT_TYPES = [
  "REGISTERED",
  "LOGIN_SUCCESS",
  "LOGIN_FAILURE",
  "TWOFA_SETUP_STARTED",
  "TWOFA_ENABLED",
  "TWOFA_DISABLED",
  "TWOFA_VERIFY_SUCCESS",
  "TWOFA_VERIFY_FAILURE",
  "TOTP_REPLAY",
  "BACKUP_CODE_USED",
  "BACKUP_CODES_REGENERATED",
  "TWOFA_LOCKED",
  "SESSIONS_REVOKED",
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

export function requestMeta(req: Request): RequestMeta {
  return { ip: req.ip ?? null, userAgent: req.get("user-agent")?.slice(0, 512) ?? null };
}

/** Never put secrets, codes or passwords in `detail`. */
export async function recordAuditEvent(
  db: Pick<Db, "auditEvent">,
  event: { userId: string | null; type: AuditEventType; meta: RequestMeta; detail?: Record<string, unknown> },
) {
  await db.auditEvent.create({
    data: { userId: event.userId, type: event.type, ip: event.meta.ip, userAgent: event.meta.userAgent, detail: (event.detail ?? undefined) as object | undefined },
  });
}

export async function listAuditEvents(db: Db, userId: string, limit = 50) {
  return db.auditEvent.findMany({
    where: { userId },
    orderBy: { createdAt: "desc" },
    take: limit,
    select: { id: true, type: true, ip: true, userAgent: true, detail: true, createdAt: true },
  });
}
