// The TOTP login verifier on its own (no database): what it accepts, what it refuses and why, and
// the guarded SQL it hands to verify-login's consume statement. Through HTTP: two-factor.rules.test.ts.
import { Prisma } from "@prisma/client";
import type { Context } from "../../context";
import { loadConfig } from "../../config";
import { createSecretBox } from "../../security/encryption";
import type { LoadedChallenge } from "../factor";
import { generateTotp, generateTotpSecret, timeStep } from "./totp";
import { totpFactor } from "./verify";

const KEY = Buffer.alloc(32, 7).toString("base64");
const env = {
  NODE_ENV: "test",
  JWT_ACCESS_SECRET: "a".repeat(40),
  JWT_REFRESH_SECRET: "b".repeat(40),
  JWT_2FA_SECRET: "c".repeat(40),
  CSRF_SECRET: "d".repeat(40),
  BACKUP_CODE_KEY: "e".repeat(40),
  TWOFA_ENCRYPTION_KEY: KEY,
} as NodeJS.ProcessEnv;
const config = loadConfig(env, "/nonexistent");
const now = Date.UTC(2026, 10, 25, 12, 0, 0);
const ctx = (box = createSecretBox(config.encryptionKeys)) =>
  ({ config, secretBox: box, db: { $queryRaw: async () => [] }, clock: { now: () => now } }) as unknown as Context;

const secret = generateTotpSecret();
function challenge(totp: LoadedChallenge["totp"] | "default" = "default"): LoadedChallenge {
  const box = createSecretBox(config.encryptionKeys);
  return {
    id: "challenge-1",
    userId: "user-1",
    expiresAt: new Date(now + 60_000),
    consumedAt: null,
    failedAttempts: 0,
    lockedUntil: null,
    webauthnChallenge: null,
    totp: totp === "default" ? { id: "cred-1", secret: box.encrypt(secret), lastStep: null } : totp,
    passkeys: 0,
  };
}
const verify = (code: string, c = challenge(), context = ctx()) => totpFactor.verify({ ctx: context, user: c, site: { kind: "login", challenge: c }, proof: { code }, meta: { ip: "10.0.0.1", userAgent: "test" }, nowMs: now });
const text = (sql: Prisma.Sql) => sql.sql;

test("a right code is accepted with a spend that re-checks the step on this credential row", async () => {
  const verdict = await verify(generateTotp(secret, now));
  if (!("accepted" in verdict)) throw new Error("refused");
  expect(verdict.accepted.method).toBe("totp");
  const spend = verdict.accepted.spend(Prisma.sql`TRUE`);
  expect(text(spend)).toMatch(/UPDATE "TotpCredential" SET "lastStep" = \?/);
  expect(text(spend)).toContain(`("lastStep" IS NULL OR "lastStep" < ?)`);
  expect(text(spend)).toContain(`RETURNING "userId"`);
  expect(spend.values).toEqual(expect.arrayContaining(["cred-1", timeStep(now)]));
  expect(text(spend)).not.toContain(`"secret" = CASE`);
});

test("a wrong code is refused (TWOFA_VERIFY_FAILURE); a code 3 minutes ahead says clock_drift", async () => {
  expect(await verify("000000")).toEqual({ refused: expect.objectContaining({ type: "TWOFA_VERIFY_FAILURE", detail: { method: "totp" } }) });
  const drift = await verify(generateTotp(secret, now + 180_000));
  expect(drift).toEqual({ refused: expect.objectContaining({ refusal: { reason: "clock_drift", driftSeconds: 180 } }) });
});

test("the step already accepted (or an older one) is a replay: TOTP_REPLAY with reason replay", async () => {
  const c = challenge();
  c.totp!.lastStep = timeStep(now);
  const verdict = await verify(generateTotp(secret, now), c);
  expect(verdict).toEqual({ refused: expect.objectContaining({ type: "TOTP_REPLAY", refusal: expect.objectContaining({ reason: "replay" }) }) });
});

test("no TOTP credential (a passkey-only account): refused like a wrong code", async () => {
  expect(await verify(generateTotp(secret, now), challenge(null))).toEqual({ refused: { type: "TWOFA_VERIFY_FAILURE", detail: { method: "totp" } } });
});

test("a secret under an older key is re-encrypted by the same spend statement, only if it is still the value read", async () => {
  const oldBox = createSecretBox([{ id: "k0", key: Buffer.alloc(32, 3) }]);
  const c = challenge({ id: "cred-1", secret: oldBox.encrypt(secret), lastStep: null });
  const rotated = createSecretBox([...config.encryptionKeys, { id: "k0", key: Buffer.alloc(32, 3) }]);
  const verdict = await verify(generateTotp(secret, now), c, ctx(rotated));
  if (!("accepted" in verdict)) throw new Error("refused");
  expect(text(verdict.accepted.spend(Prisma.sql`TRUE`))).toContain(`"secret" = CASE WHEN "secret" = ?`);
});
