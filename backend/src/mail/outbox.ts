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
 * from the user row (`userIdExpr` may be a sub-select of an earlier CTE), and `when` adds a
 * condition (e.g. `EXISTS (SELECT 1 FROM u)`) so the mail exists only if the event happened.
 */
export function sqlEnqueueMail<T extends MailTemplate>(
  userIdExpr: Prisma.Sql,
  template: T,
  data: Omit<TemplateData[T], "token">,
  nowMs: number,
  when: Prisma.Sql = Prisma.sql`TRUE`,
): Prisma.Sql {
  const at = sqlTime(nowMs);
  return Prisma.sql`INSERT INTO "MailOutbox" ("id", "userId", "to", "template", "data", "createdAt", "nextAttemptAt")
    SELECT ${crypto.randomUUID()}, u."id", u."email", ${template}, ${JSON.stringify(data)}::jsonb, ${at}, ${at}
    FROM "User" u WHERE u."id" = ${userIdExpr} AND ${when}`;
}
