// The mail worker: claims due outbox rows, renders and sends them, and records the outcome.
//  - Claiming is one statement with FOR UPDATE SKIP LOCKED and a lease (lockedUntil): several
//    instances (WEB_CONCURRENCY, several hosts) never send the same row at the same time, and a
//    row claimed by a process that died is picked up again once its lease ends.
//  - A failure schedules the next attempt with exponential backoff (30 s, 1 min, 2 min, ... up
//    to 1 h); after MAX_ATTEMPTS, or at once for a permanent SMTP answer (5xx), the row is
//    marked failed and logged. An unreachable server fails the rest of the batch without
//    trying each message (they are retried with the same backoff).
//  - Delivery is at-least-once with a stable Message-ID (the row id): a crash after the server
//    accepted a message and before sentAt is written resends it once the lease ends, and the
//    receiver can drop the duplicate. In every other case a message is sent exactly once.
// Time comes from the injected clock (tests move it); runOnce() lets tests drive the worker.
import type { Logger } from "pino";
import type { Clock } from "../auth/clock";
import type { Db } from "../db/prisma";
import { sqlTime } from "../db/sql";
import type { SecretBox } from "../security/encryption";
import { isPermanentMailError, type Mailer } from "./mailer";
import { renderMail, type MailTemplate, type TemplateData } from "./templates";
import type { Sealed } from "./outbox";

export const MAX_ATTEMPTS = 15;
/** A claim lasts this long: far longer than a send (SMTP timeouts are 10–30 s). */
export const LEASE_MS = 2 * 60 * 1000;
const BATCH_SIZE = 20;
const BACKOFF_BASE_MS = 30_000;
const BACKOFF_MAX_MS = 60 * 60 * 1000;
/** Sent rows are kept this long (a trace of what was sent), then pruned. */
const KEEP_SENT_MS = 30 * 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** Delay before attempt n+1 after n failed attempts. */
export const backoffMs = (attempts: number) => Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));

const CONNECTION_ERRORS = new Set(["ECONNECTION", "ECONNREFUSED", "ETIMEDOUT", "ESOCKET", "EDNS", "ECONNRESET", "EHOSTUNREACH", "ENOTFOUND"]);
const isConnectionError = (err: unknown) => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && CONNECTION_ERRORS.has(code);
};

export interface MailWorkerDeps {
  db: Db;
  mailer: Mailer;
  clock: Clock;
  logger: Pick<Logger, "info" | "warn" | "error">;
  secretBox: SecretBox;
  appUrl: string;
  pollIntervalMs?: number;
}

export interface RunResult {
  sent: number;
  retried: number;
  failed: number;
}

interface ClaimedRow {
  id: string;
  to: string;
  template: string;
  data: Record<string, unknown> & Sealed;
  attempts: number;
}

export interface MailWorker {
  /** polls every pollIntervalMs until stop() */
  start(): void;
  /** stops polling and waits for the batch in flight */
  stop(): Promise<void>;
  /** one batch of due messages (tests call it directly) */
  runOnce(): Promise<RunResult>;
  /** look for due messages now instead of at the next poll */
  wake(): void;
}

class PermanentError extends Error {}

export function createMailWorker(deps: MailWorkerDeps): MailWorker {
  const { db, mailer, clock, logger } = deps;
  const pollIntervalMs = deps.pollIntervalMs ?? 2000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;
  let lastPrune = 0;

  async function claim(now: number): Promise<ClaimedRow[]> {
    const rows = await db.$queryRaw<(ClaimedRow & { createdAt: Date })[]>`
      UPDATE "MailOutbox" SET "lockedUntil" = ${sqlTime(now + LEASE_MS)}, "attempts" = "attempts" + 1
      WHERE "id" IN (
        SELECT "id" FROM "MailOutbox"
        WHERE "sentAt" IS NULL AND "failedAt" IS NULL AND "nextAttemptAt" <= ${sqlTime(now)}
          AND ("lockedUntil" IS NULL OR "lockedUntil" <= ${sqlTime(now)})
        ORDER BY "nextAttemptAt", "createdAt"
        LIMIT ${BATCH_SIZE}
        FOR UPDATE SKIP LOCKED)
      RETURNING "id", "to", "template", "data", "attempts", "createdAt"`;
    // RETURNING does not keep the sub-select's order: oldest event first
    return rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  function render(row: ClaimedRow) {
    const { sealed, ...data } = row.data;
    const expiresAt = typeof data.expiresAt === "string" ? Date.parse(data.expiresAt) : NaN;
    if (!Number.isNaN(expiresAt) && expiresAt <= clock.now()) throw new PermanentError("expired before it could be sent");
    const full: Record<string, unknown> = { ...data };
    for (const [key, value] of Object.entries(sealed ?? {})) full[key] = deps.secretBox.decrypt(value);
    try {
      return renderMail(row.template as MailTemplate, full as unknown as TemplateData[MailTemplate], deps.appUrl);
    } catch (err) {
      throw new PermanentError((err as Error).message);
    }
  }

  async function markSent(row: ClaimedRow) {
    const now = clock.now();
    // A sealed field (the reset token) is not kept once the message is out.
    if (row.data.sealed) {
      const { sealed: _wiped, ...rest } = row.data;
      await db.mailOutbox.update({ where: { id: row.id }, data: { sentAt: new Date(now), lockedUntil: null, lastError: null, data: rest as object } });
    } else {
      await db.mailOutbox.update({ where: { id: row.id }, data: { sentAt: new Date(now), lockedUntil: null, lastError: null } });
    }
  }

  async function markFailed(row: ClaimedRow, err: unknown, permanent: boolean) {
    const now = clock.now();
    const message = String((err as Error)?.message ?? err).slice(0, 500);
    const giveUp = permanent || row.attempts >= MAX_ATTEMPTS;
    const { sealed: _wiped, ...rest } = row.data;
    await db.mailOutbox.update({
      where: { id: row.id },
      data: {
        lockedUntil: null,
        lastError: message,
        nextAttemptAt: new Date(now + backoffMs(row.attempts)),
        ...(giveUp ? { failedAt: new Date(now), data: rest as object } : {}),
      },
    });
    if (giveUp) logger.error({ mailId: row.id, template: row.template, attempts: row.attempts, error: message }, "mail given up");
    else logger.warn({ mailId: row.id, template: row.template, attempts: row.attempts, error: message, retryInSeconds: backoffMs(row.attempts) / 1000 }, "mail not sent; will retry");
    return giveUp;
  }

  async function prune(now: number) {
    if (now - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = now;
    await db.mailOutbox.deleteMany({ where: { OR: [{ sentAt: { lt: new Date(now - KEEP_SENT_MS) } }, { failedAt: { lt: new Date(now - KEEP_SENT_MS) } }] } });
  }

  async function runBatch(): Promise<RunResult> {
    const result: RunResult = { sent: 0, retried: 0, failed: 0 };
    const rows = await claim(clock.now());
    let unreachable: unknown;
    for (const row of rows) {
      try {
        if (unreachable) throw unreachable;
        const rendered = render(row);
        await mailer.send({ id: row.id, to: row.to, ...rendered });
        await markSent(row);
        result.sent++;
      } catch (err) {
        if (!unreachable && isConnectionError(err)) unreachable = err;
        const gaveUp = await markFailed(row, err, err instanceof PermanentError || isPermanentMailError(err));
        if (gaveUp) result.failed++;
        else result.retried++;
      }
    }
    await prune(clock.now());
    return result;
  }

  function runOnce(): Promise<RunResult> {
    // One batch at a time per process (the lease already keeps other processes apart).
    const next = (running ?? Promise.resolve()).catch(() => undefined).then(runBatch);
    running = next;
    return next;
  }

  function schedule(delayMs: number) {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      runOnce().then(
        (r) => schedule(r.sent + r.retried + r.failed >= BATCH_SIZE ? 0 : pollIntervalMs),
        (err) => {
          logger.warn({ err: { message: (err as Error).message } }, "mail worker: could not read the outbox");
          schedule(pollIntervalMs);
        },
      );
    }, delayMs);
    timer.unref();
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
      mailer.close();
    },
    runOnce,
    wake() {
      if (!stopped) schedule(0);
    },
  };
}
