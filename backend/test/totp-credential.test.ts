// The authenticator app as one factor among others (issue 13, two-factor/totp/totp-credential.ts),
// through HTTP against PostgreSQL, written as the attacks: bursts on remove and enable, a passkey
// user adding TOTP, the last factor's removal being a disable. A Passkey row is inserted directly
// here (the WebAuthn ceremony has its own tests in passkeys.test.ts).
import crypto from "node:crypto";
import { createUser } from "../src/auth/users";
import { Client, clientWith2FA, codeAt, PASSWORD, registeredClient, startLogin, startTestApp, stepUp, twoFactorState, type TestEnv } from "./harness";
import { hashBackupCode } from "../src/two-factor/backup-codes/backup-codes";

let env: TestEnv;
beforeAll(async () => {
  env = await startTestApp();
});
afterAll(() => env.close());

const insertPasskey = (userId: string) =>
  env.db.passkey.create({
    data: {
      userId,
      credentialId: crypto.randomBytes(16).toString("base64url"),
      publicKey: crypto.randomBytes(77),
      transports: ["usb"],
      deviceType: "singleDevice",
      backedUp: false,
      aaguid: "00000000-0000-0000-0000-000000000000",
      name: "Key inserted by the test",
    },
  });

/** A backup code the test knows (the account's only one), for the step-up of a passkey-only account. */
async function knownBackupCode(userId: string) {
  const code = "abcd-efgh";
  await env.db.backupCode.create({ data: { userId, codeHash: hashBackupCode(env.config.backupCodeKey, code) } });
  return { password: PASSWORD, backupCode: code };
}

const unusedBackupCodes = (userId: string) => env.db.backupCode.count({ where: { userId, usedAt: null } });
const tokenVersion = async (userId: string) => (await env.db.user.findUniqueOrThrow({ where: { id: userId } })).tokenVersion;

describe("login methods and status follow the factors", () => {
  test("TOTP only → methods [totp, backup_code]; + a passkey → [totp, passkey, backup_code]; status counts both", async () => {
    const { client, email, userId } = await clientWith2FA(env);
    expect((await client.get("/auth/2fa/status")).body).toEqual({ enabled: true, totp: true, passkeys: 0, backupCodesRemaining: 10, backupCodesTotal: 10 });
    await insertPasskey(userId);
    const login = await passwordStep(email);
    expect(login.body).toEqual({ requires2FA: true, methods: ["totp", "passkey", "backup_code"] });
    expect((await client.get("/auth/2fa/status")).body).toMatchObject({ enabled: true, totp: true, passkeys: 1 });
  });

  test("a passkey-only user: 2FA is on, setup is allowed (no 409), a TOTP code at the code step is a counted wrong answer", async () => {
    const { client, email, userId } = await registeredClient(env);
    await insertPasskey(userId);
    expect((await client.get("/auth/me")).body.twoFactorEnabled).toBe(true);
    // adding the app to a 2FA account is a step-up: the password AND a second factor (rule 7)
    expect((await client.post("/auth/2fa/setup", {})).body).toMatchObject({ code: "REAUTH_REQUIRED", needs: ["password", "secondFactor"] });
    const setup = await client.post("/auth/2fa/setup", await knownBackupCode(userId));
    expect(setup.status).toBe(200);
    const login = await startLogin(env, email);
    const res = await login.post("/auth/2fa/verify-login", { code: "123456" });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "INVALID_CODE", attemptsRemaining: 4 });
  });
});

describe("enable when a passkey exists", () => {
  test("TOTP becomes a second factor: no backupCodes in the answer, the existing codes stay valid", async () => {
    const { client, userId } = await registeredClient(env);
    await insertPasskey(userId);
    await env.db.backupCode.createMany({ data: [{ userId, codeHash: "a".repeat(64) }, { userId, codeHash: "b".repeat(64) }] });
    const { secret } = (await client.post("/auth/2fa/setup", await knownBackupCode(userId))).body;
    const enable = await client.post("/auth/2fa/enable", { token: codeAt(secret, env) });
    expect(enable.status).toBe(200);
    expect(enable.body).toEqual({ message: "2FA enabled" });
    expect(await unusedBackupCodes(userId)).toBe(2);
    expect((await twoFactorState(env, userId)).totp).not.toBeNull();
    const setupAgain = await client.post("/auth/2fa/setup", stepUp(secret, env));
    expect(setupAgain.status).toBe(409);
  });

  test("a burst of 12 enables with the right code: exactly one 200 (no backup codes), the rest 4xx, one TotpCredential, tokenVersion +1", async () => {
    const { client, userId } = await registeredClient(env);
    await insertPasskey(userId);
    const { secret } = (await client.post("/auth/2fa/setup", await knownBackupCode(userId))).body;
    const before = await tokenVersion(userId);
    const token = codeAt(secret, env);
    const res = await Promise.all(Array.from({ length: 12 }, () => client.post("/auth/2fa/enable", { token })));
    const statuses = res.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s < 400 || s >= 500).filter((s) => s !== 200)).toEqual([]);
    expect(res.find((r) => r.status === 200)!.body.backupCodes).toBeUndefined();
    expect(await env.db.totpCredential.count({ where: { userId } })).toBe(1);
    expect(await env.db.backupCode.count({ where: { userId, usedAt: null } })).toBe(0);
    expect(await tokenVersion(userId)).toBe(before + 1);
  });
});

describe("POST /auth/2fa/totp/remove", () => {
  test("needs the password AND a second factor; a wrong one is counted; nothing changes", async () => {
    const { client, userId, secret } = await clientWith2FA(env);
    for (const body of [{}, { password: PASSWORD }, { code: codeAt(secret, env) }]) {
      const res = await client.post("/auth/2fa/totp/remove", body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe("VALIDATION_FAILED");
    }
    const wrongPw = await client.post("/auth/2fa/totp/remove", { password: "not the password at all", code: codeAt(secret, env) });
    expect(wrongPw.body).toMatchObject({ code: "INVALID_PASSWORD", attemptsRemaining: 4 });
    const wrongCode = await client.post("/auth/2fa/totp/remove", { password: PASSWORD, code: "000000" });
    expect(wrongCode.body).toMatchObject({ code: "INVALID_CODE", attemptsRemaining: 3 });
    expect((await twoFactorState(env, userId)).totp).not.toBeNull();
  });

  test("with a passkey left: only TOTP goes; 2FA stays on, backup codes stay, other sessions end, audited TOTP_REMOVED", async () => {
    const { client, email, userId, secret, backupCodes } = await clientWith2FA(env);
    await insertPasskey(userId);
    const other = await startLogin(env, email);
    expect((await other.post("/auth/2fa/verify-login", { backupCode: backupCodes[0] })).status).toBe(200);
    env.clock.advance(30);
    const res = await client.post("/auth/2fa/totp/remove", { password: PASSWORD, code: codeAt(secret, env) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: "Authenticator app removed", twoFactorEnabled: true });
    expect(await twoFactorState(env, userId)).toMatchObject({ enabled: true, totp: null, passkeys: 1 });
    expect(await unusedBackupCodes(userId)).toBe(9);
    expect((await client.get("/auth/me")).status).toBe(200);
    expect((await other.get("/auth/me")).status).toBe(401);
    expect(await env.db.auditEvent.count({ where: { userId, type: "TOTP_REMOVED" } })).toBe(1);
    const login = await passwordStep(email);
    expect(login.body.methods).toEqual(["passkey", "backup_code"]);
  });

  test("the last factor: exactly a disable (backup codes gone, login needs no code, TWOFA_DISABLED)", async () => {
    const { client, email, userId, backupCodes } = await clientWith2FA(env);
    const res = await client.post("/auth/2fa/totp/remove", { password: PASSWORD, backupCode: backupCodes[3] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: "2FA disabled", twoFactorEnabled: false });
    expect(await twoFactorState(env, userId)).toMatchObject({ enabled: false, totp: null, setup: null, passkeys: 0 });
    expect(await env.db.backupCode.count({ where: { userId } })).toBe(0);
    expect(await env.db.auditEvent.count({ where: { userId, type: "TWOFA_DISABLED" } })).toBe(1);
    expect((await client.get("/auth/me")).body.twoFactorEnabled).toBe(false);
    const login = await passwordStep(email);
    expect(login.body.user).toMatchObject({ email, twoFactorEnabled: false });
  });

  test("without TOTP (passkey only) → 400 TWOFA_NOT_ENABLED before any proof is spent", async () => {
    const { client, userId } = await registeredClient(env);
    await insertPasskey(userId);
    const res = await client.post("/auth/2fa/totp/remove", { password: PASSWORD, code: "123456" });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("TWOFA_NOT_ENABLED");
    expect((await env.db.user.findUniqueOrThrow({ where: { id: userId } })).twoFactorFailedAttempts).toBe(0);
  });

  test("a burst of 10 removes, each with its own backup code (a passkey stays): exactly one 200, the rest 4xx, TOTP gone once, tokenVersion +1", async () => {
    const { client, userId, backupCodes } = await clientWith2FA(env);
    await insertPasskey(userId);
    const before = await tokenVersion(userId);
    const res = await Promise.all(backupCodes.map((backupCode) => client.post("/auth/2fa/totp/remove", { password: PASSWORD, backupCode })));
    const statuses = res.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 200 && (s < 400 || s >= 500))).toEqual([]);
    expect(await twoFactorState(env, userId)).toMatchObject({ enabled: true, totp: null, passkeys: 1 });
    expect(await tokenVersion(userId)).toBe(before + 1);
    expect(await env.db.auditEvent.count({ where: { userId, type: "TOTP_REMOVED" } })).toBe(1);
  });

  test("a burst of 10 removes with the same right code (last factor): exactly one 200, the others refused as a replay or 4xx; 2FA off once", async () => {
    const { client, userId, secret } = await clientWith2FA(env);
    const code = codeAt(secret, env);
    const res = await Promise.all(Array.from({ length: 10 }, () => client.post("/auth/2fa/totp/remove", { password: PASSWORD, code })));
    const statuses = res.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 200 && (s < 400 || s >= 500))).toEqual([]);
    expect(await twoFactorState(env, userId)).toMatchObject({ enabled: false, totp: null });
    expect(await env.db.auditEvent.count({ where: { userId, type: "TWOFA_DISABLED" } })).toBe(1);
  });
});

describe("disable and the admin reset remove every factor", () => {
  test("disable with TOTP + a passkey: both gone, backup codes gone", async () => {
    const { client, userId, secret } = await clientWith2FA(env);
    await insertPasskey(userId);
    const res = await client.post("/auth/2fa/disable", { password: PASSWORD, code: codeAt(secret, env) });
    expect(res.status).toBe(200);
    expect(await twoFactorState(env, userId)).toMatchObject({ enabled: false, totp: null, passkeys: 0 });
    expect(await env.db.backupCode.count({ where: { userId } })).toBe(0);
  });

  test("an admin reset of a user with TOTP + a passkey: both gone, backup codes gone; two admins at once reset it once", async () => {
    const adminEmail = `admin-${crypto.randomBytes(4).toString("hex")}@example.com`;
    await createUser(env.db, { email: adminEmail, password: PASSWORD, role: "ADMIN" });
    const admin = await new Client(env.app).init();
    expect((await admin.post("/auth/login", { email: adminEmail, password: PASSWORD })).status).toBe(200);
    const { secret } = (await admin.post("/auth/2fa/setup", {})).body;
    const enabled = await admin.post("/auth/2fa/enable", { token: codeAt(secret, env) });
    expect(enabled.status).toBe(200);
    const { userId } = await clientWith2FA(env);
    await insertPasskey(userId);
    const reason = "Lost phone and key; identity checked by video call";
    // each click carries its own proof (a code, a backup code): both are good, one reset happens
    const proofs = [stepUp(secret, env), { password: PASSWORD, backupCode: enabled.body.backupCodes[0] }];
    const res = await Promise.all(proofs.map((proof) => admin.post(`/auth/admin/users/${userId}/reset-2fa`, { reason, ...proof })));
    expect(res.map((r) => r.status).sort()).toEqual([200, 400]);
    expect(res.find((r) => r.status === 400)!.body.code).toBe("TWOFA_NOT_ENABLED");
    expect(await twoFactorState(env, userId)).toMatchObject({ enabled: false, totp: null, passkeys: 0 });
    expect(await env.db.backupCode.count({ where: { userId } })).toBe(0);
    expect(await env.db.auditEvent.count({ where: { userId, type: "ADMIN_TWOFA_RESET" } })).toBe(1);
  });
});

async function passwordStep(email: string) {
  return (await new Client(env.app).init()).post("/auth/login", { email, password: PASSWORD });
}
