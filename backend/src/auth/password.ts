// Password hashing: argon2id under admission control (DESIGN §6.13), on NFKC-normalised input
// (§6.14: the same password typed on any keyboard or OS verifies).
//
// Admission control: argon2 runs on libuv's thread pool (4 threads by default, shared with file
// system, DNS and zlib work) and holds ~19 MiB per job. Without a bound, a flood of logins queues
// unboundedly inside libuv: every login, everyone's, waits seconds, and the requests pile up in
// memory. Here at most `concurrency` jobs run and at most `maxQueue` wait; one more is refused at
// once with 503 SERVICE_UNAVAILABLE + Retry-After, which a client can act on.
//
// The gate is process-wide on purpose: the thread pool and the cores it protects are per
// process. createApp sizes it from the config (the last call wins; one app per process in
// production). The queue is fastq (CommonJS, maintained; p-limit and p-queue are ESM-only, and
// require() of ESM works on Node 20.19+ but not inside jest's module system).
import { normalizePassword } from "@twofa/password-policy";
import argon2 from "argon2";
import fastq from "fastq";
import { passwordHashingDefaults } from "../config";
import { AppError } from "../http/errors";

// OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export interface PasswordHashingLimits {
  /** argon2 jobs running at once */
  concurrency: number;
  /** jobs allowed to wait for a running slot; beyond it: 503 */
  maxQueue: number;
}

/**
 * Seconds a refused client is asked to wait. A full queue drains in under a second with the
 * default sizes (config.ts); 1 s spreads the retries without making a real user wait long.
 */
export const PASSWORD_QUEUE_RETRY_AFTER_SECONDS = 1;

type Job<T> = () => Promise<T>;
// Until createApp configures it (scripts such as bench/ use this module without an app).
const initial = passwordHashingDefaults();
const queue = fastq.promise((job: Job<unknown>) => job(), initial.concurrency);
let maxQueue = initial.maxQueue;

/** Sizes the process-wide gate (createApp calls it with config.passwordHashing). */
export function configurePasswordHashing(limits: PasswordHashingLimits): void {
  queue.concurrency = Math.max(1, limits.concurrency); // fastq applies a new concurrency at once
  maxQueue = Math.max(0, limits.maxQueue);
}

/** For tests and metrics: how many jobs run and wait right now. */
export function passwordHashingLoad() {
  return { running: queue.running(), waiting: queue.length(), concurrency: queue.concurrency, maxQueue };
}

export class PasswordQueueFullError extends AppError {
  constructor() {
    super(
      "SERVICE_UNAVAILABLE",
      { retryAfterSeconds: PASSWORD_QUEUE_RETRY_AFTER_SECONDS },
      "The server is busy checking passwords. Please try again in a moment",
    );
  }
}

function admit<T>(job: Job<T>): Promise<T> {
  // fastq starts a job at once while a slot is free; length() counts only the waiting ones.
  if (queue.running() >= queue.concurrency && queue.length() >= maxQueue) return Promise.reject(new PasswordQueueFullError());
  return queue.push(job) as Promise<T>;
}

export function hashPassword(password: string): Promise<string> {
  const normalized = normalizePassword(password);
  return admit(() => argon2.hash(normalized, ARGON2_OPTIONS));
}

/** false for a wrong password or an unreadable hash; rejects only when the queue is full (503). */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  const normalized = normalizePassword(password);
  return admit(() => argon2.verify(hash, normalized).catch(() => false));
}

// Verified against when the email is unknown, so that answer costs the same time as a wrong
// password and does not reveal which emails have accounts. Made outside the gate (once per
// process), so a full queue at that moment cannot leave a rejected promise cached here.
let dummyHash: Promise<string> | undefined;
export async function burnPasswordVerification(password: string): Promise<void> {
  dummyHash ??= argon2.hash("dummy password for timing equalisation", ARGON2_OPTIONS);
  await verifyPassword(await dummyHash, password);
}
