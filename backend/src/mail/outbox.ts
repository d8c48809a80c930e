// The outbox: a mail is a row written in the same transaction as the event it tells about
// (enqueueMail, a batchable Prisma operation), or in the same statement when a hot path folds
// the event into one SQL statement (sqlEnqueueMail, a data-modifying CTE). The worker
// (./worker.ts) sends due rows. Either the event and its mail are both committed, or neither.
import crypto from "node:crypto";
import { Prisma } from "@prisma/client";
import type { Db } from "../db/prisma";
import { sqlTime } from "../db/sql";
import type { RequestMeta } from "../security/audit";
import type { EventData, MailTemplate, TemplateData } from "./templates";

/**
 * Fields that must not be stored in clear (the reset link's token): encrypted with the app's
 * SecretBox under `sealed`, decrypted by the worker at send time, and wiped once sent.
 */
export type Sealed = { sealed?: Record<string, string> };

/** The "when / which device / which IP" part of every security email. */
export function eventData(meta: RequestMeta, nowMs: number): EventData {
  return { at: new Date(nowMs).toISOString(), ip: meta.ip, userAgent: meta.userAgent };
}

export interface NewMail<T extends MailTemplate> {
  userId: string | null;
  to: string;
  template: T;
  data: Omit<TemplateData[T], "token"> & Sealed;
  nowMs: number;
}

/** One outbox row, as a Prisma operation: put it in the `$transaction([...])` of the change. */
export function enqueueMail<T extends MailTemplate>(db: Pick<Db, "mailOutbox">, mail: NewMail<T>) {
  const at = new Date(mail.nowMs);
  return db.mailOutbox.create({
    data: {
      id: crypto.randomUUID(),
      userId: mail.userId,
      to: mail.to,
      template: mail.template,
      data: mail.data as Prisma.InputJsonObject,
      createdAt: at,
      nextAttemptAt: at,
    },
    select: { id: true },
  });
}

/**
 * The same row as an INSERT ... SELECT to be used as a data-modifying CTE: the address is read
 * from the user row (`userIdExpr` may be a sub-select of an earlier CTE); `when` adds a
 * condition (e.g. `EXISTS (SELECT 1 FROM u)`) so the mail exists only if the event happened;
 * `extra` is a jsonb expression merged into the data (values only SQL knows, e.g. a count).
 */
export function sqlEnqueueMail<T extends MailTemplate>(
  userIdExpr: Prisma.Sql,
  template: T,
  data: Partial<TemplateData[T]> & EventData,
  nowMs: number,
  opts: { when?: Prisma.Sql; extra?: Prisma.Sql } = {},
): Prisma.Sql {
  const at = sqlTime(nowMs);
  const json = opts.extra ? Prisma.sql`(${JSON.stringify(data)}::jsonb || ${opts.extra})` : Prisma.sql`${JSON.stringify(data)}::jsonb`;
  return Prisma.sql`INSERT INTO "MailOutbox" ("id", "userId", "to", "template", "data", "createdAt", "nextAttemptAt")
    SELECT ${crypto.randomUUID()}, mu."id", mu."email", ${template}, ${json}, ${at}, ${at}
    FROM "User" mu WHERE mu."id" = ${userIdExpr} AND (${opts.when ?? Prisma.sql`TRUE`})`;
}

/** A timestamp column as the ISO text the templates expect (for `extra`). */
export const sqlIsoTime = (expr: Prisma.Sql) => Prisma.sql`to_char(${expr}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * "A sign-in from a device not seen before": no earlier session of this user came from the same
 * browser (the exact User-Agent, so a browser update counts as new once). Evaluated inside the
 * statement that inserts the new session, whose snapshot does not contain it yet — or give
 * `exceptSessionId` when the new session was inserted by an earlier statement.
 */
export function sqlUnseenDevice(userId: string, userAgent: string | null, exceptSessionId?: string): Prisma.Sql {
  const others = exceptSessionId ? Prisma.sql`AND "id" <> ${exceptSessionId}` : Prisma.empty;
  // The account's very first session (an account made by an admin or the CLI) has no "seen"
  // device to compare with: nothing unusual to report, so no mail.
  return Prisma.sql`NOT EXISTS (SELECT 1 FROM "Session" WHERE "userId" = ${userId} AND "userAgent" IS NOT DISTINCT FROM ${userAgent} ${others})
    AND EXISTS (SELECT 1 FROM "Session" WHERE "userId" = ${userId} ${others})`;
}

/**
 * "A remembered device used from an address it never signed in from": no other session that came
 * from (or remembered) this trusted device had this IP. Give the new session's id, inserted by an
 * earlier statement.
 */
export function sqlUnseenDeviceAddress(trustedDeviceId: string, ip: string | null, exceptSessionId: string): Prisma.Sql {
  return Prisma.sql`NOT EXISTS (SELECT 1 FROM "Session" WHERE "trustedDeviceId" = ${trustedDeviceId} AND "ip" IS NOT DISTINCT FROM ${ip} AND "id" <> ${exceptSessionId})`;
}
