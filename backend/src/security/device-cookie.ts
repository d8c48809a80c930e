// Device cookies (DESIGN §6 rule 16, OWASP "Slow down online guessing attacks with device
// cookies"). Every successful sign-in leaves one in the browser: it names the user and is signed
// (HMAC), and a DeviceCookie row holds its own failure budget. At POST /auth/login a valid device
// cookie of the account being signed in to lifts the per-email lock for that browser
// (security/login-budget.ts), so a stranger's wrong passwords can never lock the owner out of a
// browser they signed in on before; its wrong passwords count against the cookie, which is dead
// past DEVICE_COOKIE_FAILURES (a stolen copy buys at most that many guesses).
// Not the remembered device (trusted_device, sessions/trusted-devices.ts): that one skips the code
// step and lifts no limit; this one skips nothing and only decides which limit applies.
import crypto from "node:crypto";
import type { Context } from "../context";
import type { Db } from "../db/prisma";
import { sqlTime } from "../db/sql";

export const DEVICE_COOKIE_LIFETIME_MS = 180 * 24 * 60 * 60 * 1000;
/** wrong passwords a device cookie may carry; the next attempt is treated as having none */
export const DEVICE_COOKIE_FAILURES = 5;

export interface DeviceCookieClaim {
  id: string;
  userId: string;
}

const sign = (key: Buffer, id: string, userId: string) =>
  crypto.createHmac("sha256", key).update(`device-cookie:${id}.${userId}`).digest("base64url");

/**
 * The device and user a cookie names, when its signature is ours; null for anything else. Says
 * nothing about whether the row is still alive: the login's one statement checks that.
 */
export function readDeviceCookie(key: Buffer, value: unknown): DeviceCookieClaim | null {
  if (typeof value !== "string" || value.length > 200) return null;
  const match = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!match) return null;
  const [, id, userId, signature] = match;
  const expected = Buffer.from(sign(key, id, userId));
  const given = Buffer.from(signature);
  return given.length === expected.length && crypto.timingSafeEqual(given, expected) ? { id, userId } : null;
}

/**
 * A sign-in completed: a new device cookie for this user, replacing the one the browser sent if it
 * was this user's (ONE statement), so a copy taken before this sign-in no longer lifts the lock
 * and its failures start from zero again.
 */
export async function issueDeviceCookie(ctx: Pick<Context, "db" | "config" | "clock">, userId: string, presented: unknown): Promise<{ value: string; ttlSeconds: number }> {
  const now = ctx.clock.now();
  const old = readDeviceCookie(ctx.config.deviceCookieKey, presented);
  const id = crypto.randomBytes(16).toString("base64url");
  await ctx.db.$executeRaw`
    WITH old AS (DELETE FROM "DeviceCookie" WHERE "id" = ${old?.userId === userId ? old.id : null} AND "userId" = ${userId})
    INSERT INTO "DeviceCookie" ("id", "userId", "createdAt", "expiresAt")
    VALUES (${id}, ${userId}, ${sqlTime(now)}, ${sqlTime(now + DEVICE_COOKIE_LIFETIME_MS)})`;
  return { value: `${id}.${userId}.${sign(ctx.config.deviceCookieKey, id, userId)}`, ttlSeconds: DEVICE_COOKIE_LIFETIME_MS / 1000 };
}

/** Expired device cookies are worthless (the browser dropped them too): delete them. */
export async function pruneDeviceCookies(db: Pick<Db, "deviceCookie">, nowMs: number): Promise<number> {
  const { count } = await db.deviceCookie.deleteMany({ where: { expiresAt: { lt: new Date(nowMs) } } });
  return count;
}
