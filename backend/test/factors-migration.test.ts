// Issue 13: TOTP moved off "User" into TotpCredential / TotpSetup (migration
// 20261127090000_factors_as_credentials). Users who had 2FA on before the migration must sign in
// after it with the same phone, the replay guard must remember the last step they used, a setup
// in progress must survive, and their backup codes must still work. This builds a database as it
// was before the migration, writes users the way the old code did, applies the migration, and
// signs in through HTTP.
import crypto from "node:crypto";
import pino from "pino";
import { Client as Pg } from "pg";
import { createApp } from "../src/app";
import { hashPassword } from "../src/auth/password";
import { createPrisma } from "../src/db/prisma";
import { migrate } from "../src/db/migrate";
import { createSecretBox } from "../src/security/encryption";
import { generateBackupCodes, hashBackupCode } from "../src/two-factor/backup-codes/backup-codes";
import { generateTotp, generateTotpSecret, timeStep } from "../src/two-factor/totp/totp";
import { Client, PASSWORD, TestClock, testConfig, twoFactorState, uniqueEmail, type TestEnv } from "./harness";
import { TEST_DB_PREFIX, withAdmin, withDatabase } from "./test-server";

const MIGRATION = "20261127090000_factors_as_credentials";

let env: TestEnv;
let pg: Pg;
const config = testConfig();
const box = createSecretBox(config.encryptionKeys);
const clock = new TestClock();
// the migration compares a pending setup's expiry with the database's clock, the app with the test clock
const later = () => new Date(Math.max(Date.now(), clock.now()) + 10 * 60_000);

interface OldUser {
  id: string;
  email: string;
  secret: string;
  encrypted: string;
}

async function insertOldUser(columns: Record<string, unknown>): Promise<{ id: string; email: string }> {
  const id = `c${crypto.randomBytes(12).toString("hex")}`;
  const email = uniqueEmail("premigration");
  const all: Record<string, unknown> = { id, email, passwordHash: await hashPassword(PASSWORD), updatedAt: new Date(), ...columns };
  const names = Object.keys(all);
  await pg.query(`INSERT INTO "User" (${names.map((n) => `"${n}"`).join(", ")}) VALUES (${names.map((_, i) => `$${i + 1}`).join(", ")})`, Object.values(all));
  return { id, email };
}

let enrolled: OldUser & { lastStep: number; backupCodes: string[] };
let settingUp: OldUser;
let expiredSetup: { id: string };

beforeAll(async () => {
  const admin = process.env.TWOFA_TEST_ADMIN_URL!;
  const name = `${TEST_DB_PREFIX}${process.env.TWOFA_TEST_RUN_ID}_factors_${process.pid}_${crypto.randomBytes(3).toString("hex")}`;
  await withAdmin(admin, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = withDatabase(admin, name);
  const before = await migrate(url, undefined, { stopBefore: MIGRATION });
  expect(before.applied).not.toContain(MIGRATION);

  pg = new Pg({ connectionString: url });
  await pg.connect();
  // The old code's writes: 2FA on with an encrypted secret and the last accepted step, 10 hashed backup codes.
  const secret = generateTotpSecret();
  const encrypted = box.encrypt(secret);
  const lastStep = timeStep(clock.now());
  const a = await insertOldUser({ twoFactorEnabled: true, twoFactorSecret: encrypted, twoFactorLastStep: lastStep });
  const backupCodes = generateBackupCodes();
  for (const code of backupCodes) {
    await pg.query(`INSERT INTO "BackupCode" ("id", "userId", "codeHash") VALUES ($1, $2, $3)`, [crypto.randomUUID(), a.id, hashBackupCode(config.backupCodeKey, code)]);
  }
  enrolled = { ...a, secret, encrypted, lastStep, backupCodes };
  // A setup in progress (the QR code is on the phone, the first code not yet typed) ...
  const pendingSecret = generateTotpSecret();
  const pendingEncrypted = box.encrypt(pendingSecret);
  const b = await insertOldUser({ twoFactorPendingSecret: pendingEncrypted, twoFactorPendingExpiresAt: later() });
  settingUp = { ...b, secret: pendingSecret, encrypted: pendingEncrypted };
  // ... and one that had expired (nothing to carry over).
  expiredSetup = await insertOldUser({ twoFactorPendingSecret: box.encrypt(generateTotpSecret()), twoFactorPendingExpiresAt: new Date(Date.now() - 60_000) });

  const after = await migrate(url);
  expect(after.applied).toEqual([MIGRATION, ...after.applied.slice(1)]);

  const db = createPrisma(url, { max: 5 });
  const app = createApp({ config, db, clock, logger: pino({ level: "silent" }) });
  env = { app, db, clock, config, url, close: () => db.$disconnect() };
}, 60_000);

afterAll(async () => {
  await pg?.end();
  await env?.close();
});

const passwordStep = async (email: string) => {
  const client = await new Client(env.app).init();
  const res = await client.post("/auth/login", { email, password: PASSWORD });
  return { client, res };
};

test("the data moved: same encrypted secret and last step in TotpCredential, the live setup in TotpSetup, the old columns gone", async () => {
  const state = await twoFactorState(env, enrolled.id);
  expect(state).toMatchObject({ enabled: true, setup: null, passkeys: 0 });
  expect(state.totp).toMatchObject({ userId: enrolled.id, secret: enrolled.encrypted, lastStep: enrolled.lastStep });
  const pending = await twoFactorState(env, settingUp.id);
  expect(pending).toMatchObject({ enabled: false, totp: null });
  expect(pending.setup).toMatchObject({ secret: settingUp.encrypted });
  expect((await twoFactorState(env, expiredSetup.id)).setup).toBeNull();
  const { rows } = await pg.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'User' AND column_name LIKE 'twoFactor%' ORDER BY 1`);
  expect(rows.map((r) => r.column_name)).toEqual(["twoFactorFailedAttempts", "twoFactorFailureWindowAt", "twoFactorLockedUntil", "twoFactorRequiredSince", "twoFactorSetupRequired"]);
});

test("a user with 2FA on before the migration signs in with a code from the same secret; the last step used before is still refused", async () => {
  const first = await passwordStep(enrolled.email);
  expect(first.res.status).toBe(200);
  expect(first.res.body).toEqual({ requires2FA: true, methods: ["totp", "backup_code"] });
  // the code of the step accepted before the migration: a replay
  const replay = await first.client.post("/auth/2fa/verify-login", { code: generateTotp(enrolled.secret, clock.now()) });
  expect(replay.status).toBe(400);
  expect(replay.body).toMatchObject({ code: "INVALID_CODE", reason: "replay" });
  clock.advance(30);
  const ok = await first.client.post("/auth/2fa/verify-login", { code: generateTotp(enrolled.secret, clock.now()) });
  expect(ok.status).toBe(200);
  expect(ok.body.user).toMatchObject({ email: enrolled.email, twoFactorEnabled: true });
  expect((await first.client.get("/auth/me")).body).toMatchObject({ email: enrolled.email, twoFactorEnabled: true });
  expect((await twoFactorState(env, enrolled.id)).totp?.lastStep).toBe(timeStep(clock.now()));
});

test("their backup codes from before the migration still work, once", async () => {
  const login = await passwordStep(enrolled.email);
  expect((await login.client.post("/auth/2fa/verify-login", { backupCode: enrolled.backupCodes[0] })).status).toBe(200);
  expect((await login.client.get("/auth/2fa/status")).body).toEqual({ enabled: true, totp: true, passkeys: 0, backupCodesRemaining: 9, backupCodesTotal: 10 });
  const again = await passwordStep(enrolled.email);
  const reused = await again.client.post("/auth/2fa/verify-login", { backupCode: enrolled.backupCodes[0] });
  expect(reused.status).toBe(400);
  expect(reused.body.reason).toBe("backup_code_used");
});

test("a setup in progress before the migration is confirmed after it with the phone that scanned it (first factor: backup codes)", async () => {
  const { client, res } = await passwordStep(settingUp.email);
  expect(res.status).toBe(200);
  expect(res.body.user).toMatchObject({ twoFactorEnabled: false });
  // setup again returns the SAME secret (still live), so a reload does not break the phone
  expect((await client.post("/auth/2fa/setup", {})).body.secret).toBe(settingUp.secret);
  const enable = await client.post("/auth/2fa/enable", { token: generateTotp(settingUp.secret, clock.now()) });
  expect(enable.status).toBe(200);
  expect(enable.body.backupCodes).toHaveLength(10);
  clock.advance(30);
  const login = await passwordStep(settingUp.email);
  expect((await login.client.post("/auth/2fa/verify-login", { code: generateTotp(settingUp.secret, clock.now()) })).status).toBe(200);
});
