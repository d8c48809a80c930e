// Issue 18, findings 1, 5 and 7, replayed as the attacker ran them, against DESIGN §6 rules 7, 19
// and 20 (with rule 12's budget):
//  - rule 7: on an account with 2FA every security change carries the password AND a second
//    factor in the request; a stolen session plus the password, a fresh login, or a login that
//    skipped the code through a remembered device is never enough (admins: their own proof);
//  - rule 19: before the second factor is proven an answer never says how far a code was off;
//    the successful login tells the phone's drift instead;
//  - rule 20: after an admin reset the new factor is enrolled only with the link emailed to the
//    user (24 h, replaced by a new one) AND the password.
// Supertest against PostgreSQL (one cloned database, a second app instance on it for the races),
// emails through a real SMTP server on 127.0.0.1; time is the injected TestClock, never slept.
import crypto from "node:crypto";
import type { ParsedMail } from "mailparser";
import { createUser } from "../src/auth/users";
import { ERROR_CODES } from "../src/http/errors";
import { generateTotp } from "../src/two-factor/totp/totp";
import { Client, clientWith2FA, codeAt, copyBrowser, PASSWORD, registeredClient, startLogin, startTestApp, stepUp, twoFactorState, uniqueEmail, type TestEnv } from "./harness";
import { startMailCapture } from "./smtp";
import { addPasskey, newAuthenticator, passkeyProof } from "./support/passkeys";

const APP_URL = "https://twofa.example.com";
let env: TestEnv;
/** A second app instance on the same database and clock (two servers behind a load balancer). */
let second: TestEnv;
let mail: Awaited<ReturnType<typeof startMailCapture>>;
beforeAll(async () => {
  env = await startTestApp({ env: { APP_URL } });
  second = await startTestApp({ share: env, env: { APP_URL } });
  mail = await startMailCapture(env);
});
afterAll(async () => {
  await mail.close();
  await second.close();
  await env.close();
});

const NEEDS_BOTH = ["password", "secondFactor"];
const NEEDS_LINK = ["enrolmentLink", "password"];
const RESET_REASON = "Lost phone and backup codes; identity checked by video call";
const NEW_PASSWORD = "velvet tundra harbour 7 lanterns";

const failuresOf = async (userId: string) =>
  (await env.db.user.findUniqueOrThrow({ where: { id: userId }, select: { twoFactorFailedAttempts: true } })).twoFactorFailedAttempts;
const auditCount = (userId: string, type: "PASSKEY_ADDED" | "TWOFA_DISABLED" | "BACKUP_CODES_REGENERATED" | "PASSWORD_CHANGED" | "ADMIN_TWOFA_RESET" | "TOTP_REPLAY" | "ENROLMENT_LINK_SENT") =>
  env.db.auditEvent.count({ where: { userId, type } });
const backupHashes = async (userId: string) =>
  (await env.db.backupCode.findMany({ where: { userId }, select: { codeHash: true, usedAt: true }, orderBy: { codeHash: "asc" } })).map((b) => `${b.codeHash}:${b.usedAt?.getTime() ?? ""}`);
const passwordHashOf = async (userId: string) => (await env.db.user.findUniqueOrThrow({ where: { id: userId }, select: { passwordHash: true } })).passwordHash;
const lastStepOf = async (userId: string) => (await env.db.totpCredential.findUniqueOrThrow({ where: { userId }, select: { lastStep: true } })).lastStep;

/** A six-digit code that is no code of `secret` within 10 steps of now (so not even a drift match). */
function wrongCode(secret: string, i = 0): string {
  const near = new Set(Array.from({ length: 21 }, (_, k) => codeAt(secret, env, k - 10)));
  for (let n = i; ; n++) {
    const c = String((123457 + n * 7919) % 1_000_000).padStart(6, "0");
    if (!near.has(c)) return c;
  }
}

/** Seconds into the current 30-s step; moves the clock to `seconds` into the next step. */
const intoStep = () => Math.floor(env.clock.now() / 1000) % 30;
const toNextStepAt = (seconds: number) => env.clock.advance(30 - intoStep() + seconds);
const currentStep = () => Math.floor(env.clock.now() / 30_000);

/** An ADMIN created like `npm run user:create -- --admin`, signed in, with 2FA on. */
async function adminClient() {
  const email = uniqueEmail("admin");
  await createUser(env.db, { email, password: PASSWORD, role: "ADMIN" });
  const client = await new Client(env.app).init();
  expect((await client.post("/auth/login", { email, password: PASSWORD })).status).toBe(200);
  const setup = await client.post("/auth/2fa/setup", {});
  expect(setup.status).toBe(200);
  const secret = setup.body.secret as string;
  expect((await client.post("/auth/2fa/enable", { token: generateTotp(secret, env.clock.now()) })).status).toBe(200);
  env.clock.advance(30);
  const userId = (await client.get("/auth/me")).body.id as string;
  return { client, email, secret, userId };
}

/** An admin (a new one: their own step-up) resets `userId`'s 2FA with their password and a code. */
async function adminResets(userId: string) {
  const admin = await adminClient();
  const res = await admin.client.post(`/auth/admin/users/${userId}/reset-2fa`, { reason: RESET_REASON, ...stepUp(admin.secret, env) });
  expect(res.status).toBe(200);
  return admin;
}

/** The password step of a login on an account without 2FA: a new browser with a session. */
async function signInWithPassword(email: string, password = PASSWORD) {
  const client = await new Client(env.app).init();
  const res = await client.post("/auth/login", { email, password });
  expect(res.status).toBe(200);
  expect(res.body.user.twoFactorEnabled).toBe(false);
  return client;
}

/** The code step of a login with a right code: a new browser with a session (authMethod totp). */
async function signInWithCode(e: TestEnv, email: string, secret: string) {
  const client = await startLogin(e, email);
  const res = await client.post("/auth/2fa/verify-login", { code: codeAt(secret, e) });
  expect(res.status).toBe(200);
  e.clock.advance(30); // that step is spent
  return client;
}

// ---- the re-enrolment links as the user receives them (rule 20) ----

const LINK = /https:\/\/twofa\.example\.com\/enrol#token=([A-Za-z0-9_%-]+)/;
/** Links already handed to a test (each test asks for the ones that arrived since). */
const seenLinks = new Set<string>();
/** The enrolment links emailed to `email` that no earlier call returned (the worker runs first). */
async function newLinks(email: string): Promise<{ token: string; mail: ParsedMail }[]> {
  const found: { token: string; mail: ParsedMail }[] = [];
  for (const m of await mail.inbox(email)) {
    const match = LINK.exec(m.text ?? "");
    if (!match) continue;
    const token = decodeURIComponent(match[1]);
    if (seenLinks.has(token)) continue;
    seenLinks.add(token);
    found.push({ token, mail: m });
  }
  return found;
}
/** Exactly one new link arrived, in a mail with this subject: its token. */
async function theNewLink(email: string, subject: string): Promise<string> {
  const links = await newLinks(email);
  expect(links.map((l) => l.mail.subject)).toEqual([subject]);
  const { token, mail: m } = links[0];
  expect(m.html).toContain(`href="${APP_URL}/enrol#token=${encodeURIComponent(token)}"`);
  return token;
}
const RESET_SUBJECT = "An administrator reset your two-factor authentication";
const RESEND_SUBJECT = "Set up two-factor authentication again";
const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

function expectReauth(res: { status: number; body: Record<string, unknown> }, needs: string[]) {
  expect(res.status).toBe(401);
  expect(res.body).toMatchObject({ code: "REAUTH_REQUIRED", needs });
}

describe("rule 7: step-up is a second factor (finding 1, as the attacker ran it)", () => {
  test("a copy of the victim's cookies plus the password, no code: no passkey, no disable, no backup codes, no password change; wrong proofs counted; nothing stored", async () => {
    const victim = await clientWith2FA(env);
    const { userId, secret } = victim;
    const attacker = copyBrowser(victim.client); // the stolen cookies, from another IP
    const attackersKey = newAuthenticator(env);
    const codesBefore = await backupHashes(userId);
    const hashBefore = await passwordHashOf(userId);
    const stepBefore = await lastStepOf(userId);

    // finding 1, step 1: registration-options with the password → was 200; now nothing without a code
    for (const body of [{}, { password: PASSWORD }]) {
      expectReauth(await attacker.post("/auth/2fa/passkeys/registration-options", body), NEEDS_BOTH);
    }
    expect(await env.db.webAuthnChallenge.count({ where: { userId } })).toBe(0);
    expect(await failuresOf(userId)).toBe(0); // a missing proof is not a guess
    // a guessed code: evaluated, counted, audited, and still no challenge
    const guess = await attacker.post("/auth/2fa/passkeys/registration-options", { password: PASSWORD, code: wrongCode(secret) });
    expect(guess.status).toBe(400);
    expect(guess.body).toMatchObject({ code: "INVALID_CODE", attemptsRemaining: 4 });
    expect(await failuresOf(userId)).toBe(1);
    const failure = await env.db.auditEvent.findFirstOrThrow({ where: { userId, type: "TWOFA_VERIFY_FAILURE" } });
    expect(failure.detail).toMatchObject({ during: "passkey_add", method: "totp" });
    expect(await env.db.webAuthnChallenge.count({ where: { userId } })).toBe(0);
    // step 2: the attacker's key with a challenge of their own making: nothing to answer, nothing stored
    const forged = attackersKey.register({ challenge: crypto.randomBytes(32).toString("base64url") });
    const add = await attacker.post("/auth/2fa/passkeys", { name: "Attacker's key", response: forged });
    expect(add.status).toBe(400);
    expect(add.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "challenge" });
    expect(await env.db.passkey.count({ where: { userId } })).toBe(0);

    // step 3: disable {password, passkey} with the attacker's key: the victim has no passkey to
    // ask a proof of, and an assertion over a made-up challenge is a counted wrong proof
    const proofOptions = await attacker.post("/auth/2fa/passkeys/proof-options");
    expect([proofOptions.status, proofOptions.body.code]).toEqual([400, "PASSKEY_NOT_REGISTERED"]);
    const disable = await attacker.post("/auth/2fa/disable", { password: PASSWORD, passkey: attackersKey.authenticate({ challenge: crypto.randomBytes(32).toString("base64url") }) });
    expect(disable.status).toBe(400);
    expect(disable.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "challenge", attemptsRemaining: 3 });
    expect(await failuresOf(userId)).toBe(2);
    for (const path of ["/auth/2fa/disable", "/auth/2fa/totp/remove"]) {
      const res = await attacker.post(path, { password: PASSWORD });
      expect([res.status, res.body.code]).toEqual([400, "VALIDATION_FAILED"]);
    }

    // new backup codes: the code alone (say, read over the victim's shoulder) or the password alone → 400
    const current = codeAt(secret, env);
    for (const body of [{ code: current }, { password: PASSWORD }, {}]) {
      const res = await attacker.post("/auth/2fa/backup-codes", body);
      expect([res.status, res.body.code]).toEqual([400, "VALIDATION_FAILED"]);
    }
    expect(await lastStepOf(userId)).toBe(stepBefore); // the shown code was not spent by a refused request

    // step 4: the password change that finished the takeover
    const change = await attacker.post("/auth/password/change", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect([change.status, change.body.code]).toEqual([400, "VALIDATION_FAILED"]);

    // nothing changed: factors, codes, password; the victim's session lives; no change was audited
    expect(await twoFactorState(env, userId)).toMatchObject({ enabled: true, passkeys: 0 });
    expect((await twoFactorState(env, userId)).totp).not.toBeNull();
    expect(await backupHashes(userId)).toEqual(codesBefore);
    expect(await passwordHashOf(userId)).toBe(hashBefore);
    expect((await victim.client.get("/auth/me")).status).toBe(200);
    for (const type of ["PASSKEY_ADDED", "TWOFA_DISABLED", "BACKUP_CODES_REGENERATED", "PASSWORD_CHANGED"] as const) expect(await auditCount(userId, type)).toBe(0);

    // the owner, with the password AND a code, does every one of these (the same code the attacker saw is still good)
    const ownersKey = newAuthenticator(env);
    const options = await victim.client.post("/auth/2fa/passkeys/registration-options", { password: PASSWORD, code: current });
    expect(options.status).toBe(200);
    const added = await victim.client.post("/auth/2fa/passkeys", { name: "Owner's key", response: ownersKey.register(options.body) });
    expect(added.status).toBe(201);
    expect(await failuresOf(userId)).toBe(0); // a proven second factor clears the window
    expect((await attacker.get("/auth/me")).status).toBe(401); // the change ended the stolen copy
    const codes = await victim.client.post("/auth/2fa/backup-codes", stepUp(secret, env));
    expect(codes.status).toBe(200);
    expect(codes.body.backupCodes).toHaveLength(10);
    const changed = await victim.client.post("/auth/password/change", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, code: stepUp(secret, env).code });
    expect(changed.status).toBe(200);
    const off = await victim.client.post("/auth/2fa/disable", { password: NEW_PASSWORD, passkey: await passkeyProof(victim.client, ownersKey) });
    expect(off.status).toBe(200);
    expect(await twoFactorState(env, userId)).toMatchObject({ enabled: false, totp: null, passkeys: 0 });
    for (const type of ["PASSKEY_ADDED", "TWOFA_DISABLED", "BACKUP_CODES_REGENERATED", "PASSWORD_CHANGED"] as const) expect(await auditCount(userId, type)).toBe(1);
  });

  test("the attacker's own key against a real proof challenge of the stolen session (victim with app + passkey): PASSKEY_FAILED unknown_credential, counted; 2FA stays on", async () => {
    const victim = await clientWith2FA(env);
    expect((await addPasskey(victim.client, newAuthenticator(env), "Owner's key", stepUp(victim.secret, env))).status).toBe(201);
    const attacker = copyBrowser(victim.client);
    const proof = await passkeyProof(attacker, newAuthenticator(env));
    for (const [path, left] of [["/auth/2fa/disable", 4], ["/auth/2fa/backup-codes", 3]] as const) {
      const body = path === "/auth/2fa/disable" ? { password: PASSWORD, passkey: proof } : { password: PASSWORD, passkey: await passkeyProof(attacker, newAuthenticator(env)) };
      const res = await attacker.post(path, body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "unknown_credential", attemptsRemaining: left });
    }
    expect(await twoFactorState(env, victim.userId)).toMatchObject({ enabled: true, passkeys: 1 });
    expect(await auditCount(victim.userId, "TWOFA_DISABLED")).toBe(0);
    expect(await auditCount(victim.userId, "BACKUP_CODES_REGENERATED")).toBe(0);
  });

  test("a fresh login (seconds old) with no proof cannot add a passkey or get backup codes; a passkey user's fresh session cannot add the app with the password alone", async () => {
    const { email, secret, userId } = await clientWith2FA(env);
    const fresh = await signInWithCode(env, email, secret);
    expectReauth(await fresh.post("/auth/2fa/passkeys/registration-options", {}), NEEDS_BOTH);
    expectReauth(await fresh.post("/auth/2fa/passkeys/registration-options", { password: PASSWORD }), NEEDS_BOTH);
    for (const body of [{}, { password: PASSWORD }]) {
      const res = await fresh.post("/auth/2fa/backup-codes", body);
      expect([res.status, res.body.code]).toEqual([400, "VALIDATION_FAILED"]);
    }
    expect(await env.db.webAuthnChallenge.count({ where: { userId } })).toBe(0);
    expect(await auditCount(userId, "BACKUP_CODES_REGENERATED")).toBe(0);

    // a passkey-only account (registered a minute ago): adding the app needs the password AND a factor
    const keyUser = await registeredClient(env);
    const added = await addPasskey(keyUser.client, newAuthenticator(env));
    expect(added.status).toBe(201);
    for (const body of [{}, { password: PASSWORD }]) expectReauth(await keyUser.client.post("/auth/2fa/setup", body), NEEDS_BOTH);
    expect(await env.db.totpSetup.count({ where: { userId: keyUser.userId } })).toBe(0);
    const setup = await keyUser.client.post("/auth/2fa/setup", { password: PASSWORD, backupCode: added.body.backupCodes[0] });
    expect(setup.status).toBe(200);
    expect(setup.body.secret).toMatch(/^[A-Z2-7]{32}$/);
  });

  test("a login that skipped the code through a remembered device, plus the password: refused like any other", async () => {
    const { email, secret, userId } = await clientWith2FA(env);
    const laptop = await startLogin(env, email);
    expect((await laptop.post("/auth/2fa/verify-login", { code: codeAt(secret, env), rememberDevice: true })).status).toBe(200);
    env.clock.advance(30);
    // the thief holds the device cookie (and the password): the code step is skipped
    const thief = await new Client(env.app).init();
    thief.agent.jar.setCookie(`trusted_device=${laptop.cookie("trusted_device")}; Path=/auth/login`, "127.0.0.1", "/");
    const login = await thief.post("/auth/login", { email, password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body.requires2FA).toBeUndefined();
    const sessions = (await thief.get("/auth/sessions")).body.sessions as { current: boolean; authMethod: string }[];
    expect(sessions.find((s) => s.current)?.authMethod).toBe("trusted_device");

    expectReauth(await thief.post("/auth/2fa/passkeys/registration-options", { password: PASSWORD }), NEEDS_BOTH);
    for (const path of ["/auth/2fa/backup-codes", "/auth/2fa/disable", "/auth/2fa/totp/remove"]) {
      const res = await thief.post(path, { password: PASSWORD });
      expect([res.status, res.body.code]).toEqual([400, "VALIDATION_FAILED"]);
    }
    const change = await thief.post("/auth/password/change", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect([change.status, change.body.code]).toEqual([400, "VALIDATION_FAILED"]);
    const guess = await thief.post("/auth/2fa/backup-codes", { password: PASSWORD, backupCode: "zzzz-zzzz" });
    expect(guess.body).toMatchObject({ code: "INVALID_CODE", attemptsRemaining: 4 });
    expect(await twoFactorState(env, userId)).toMatchObject({ enabled: true, passkeys: 0 });
    expect(await env.db.webAuthnChallenge.count({ where: { userId } })).toBe(0);
    for (const type of ["TWOFA_DISABLED", "BACKUP_CODES_REGENERATED", "PASSWORD_CHANGED"] as const) expect(await auditCount(userId, type)).toBe(0);
  });

  test("an admin session 20 minutes old plus the admin's password, no code: resets nobody; a fresh admin login neither; the admin's password + code does", async () => {
    const admin = await adminClient();
    env.clock.advance(20 * 60);
    expect((await admin.client.post("/auth/refresh")).status).toBe(200);
    const victim = await clientWith2FA(env);
    const path = `/auth/admin/users/${victim.userId}/reset-2fa`;
    for (const body of [{}, { password: PASSWORD }]) expectReauth(await admin.client.post(path, { reason: RESET_REASON, ...body }), NEEDS_BOTH);

    const freshAdmin = await signInWithCode(env, admin.email, admin.secret);
    for (const body of [{}, { password: PASSWORD }]) expectReauth(await freshAdmin.post(path, { reason: RESET_REASON, ...body }), NEEDS_BOTH);
    // the victim's code is no proof for the admin, and a guess is counted on the admin, not the victim
    const guess = await freshAdmin.post(path, { reason: RESET_REASON, password: PASSWORD, code: wrongCode(admin.secret) });
    expect(guess.body).toMatchObject({ code: "INVALID_CODE", attemptsRemaining: 4 });
    expect(await failuresOf(admin.userId)).toBe(1);
    expect(await failuresOf(victim.userId)).toBe(0);
    expect(await twoFactorState(env, victim.userId)).toMatchObject({ enabled: true });
    expect(await auditCount(victim.userId, "ADMIN_TWOFA_RESET")).toBe(0);
    expect(await env.db.mailOutbox.count({ where: { userId: victim.userId, template: "admin_twofa_reset" } })).toBe(0);
    expect((await victim.client.get("/auth/me")).status).toBe(200);

    // with the password AND a code, from the 20-minute-old session
    const ok = await admin.client.post(path, { reason: RESET_REASON, ...stepUp(admin.secret, env) });
    expect(ok.status).toBe(200);
    expect(await twoFactorState(env, victim.userId)).toMatchObject({ enabled: false, totp: null });
    expect(await auditCount(victim.userId, "ADMIN_TWOFA_RESET")).toBe(1);
    expect((await victim.client.get("/auth/me")).status).toBe(401);
  });

  test("contrast, an account without 2FA: a login under 10 minutes old adds the first factor; older, the password (needs [password])", async () => {
    const { client } = await registeredClient(env);
    expect((await client.post("/auth/2fa/passkeys/registration-options", {})).status).toBe(200);
    env.clock.advance(env.config.reauthMaxAgeSeconds + 1);
    expect((await client.post("/auth/refresh")).status).toBe(200);
    expectReauth(await client.post("/auth/2fa/passkeys/registration-options", {}), ["password"]);
    expectReauth(await client.post("/auth/2fa/setup", {}), ["password"]);
    const wrong = await client.post("/auth/2fa/setup", { password: "not the password at all 42" });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ code: "INVALID_PASSWORD", attemptsRemaining: 4 });
    expect((await client.post("/auth/2fa/setup", { password: PASSWORD })).status).toBe(200);
  });
});

describe("rule 7 + rule 12: one proof, one change — concurrent and across instances", () => {
  test.each([
    ["two copies of the session on one instance", () => env],
    ["the same request on a second app instance sharing the database", () => second],
  ])("the same right code as the proof of 2 concurrent registration-options (%s) → exactly one 200, the other refused as a replay", async (_label, otherInstance) => {
    const victim = await clientWith2FA(env);
    const copy = copyBrowser(victim.client, otherInstance().app, victim.client.ip);
    const proof = stepUp(victim.secret, env);
    const answers = await Promise.all([victim.client, copy].map((c) => c.post("/auth/2fa/passkeys/registration-options", proof)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
    const refused = answers.find((a) => a.status === 400)!;
    expect(refused.body).toMatchObject({ code: "INVALID_CODE", reason: "replay", attemptsRemaining: 4 });
    const accepted = answers.find((a) => a.status === 200)!;
    expect(typeof accepted.body.challenge).toBe("string");
    // one challenge stored (the session's, the accepted one's), one replay audited, one failure counted
    const challenges = await env.db.webAuthnChallenge.findMany({ where: { userId: victim.userId } });
    expect(challenges.map((c) => [c.purpose, c.challenge])).toEqual([["registration", accepted.body.challenge]]);
    const replays = await env.db.auditEvent.findMany({ where: { userId: victim.userId, type: "TOTP_REPLAY" } });
    expect(replays).toHaveLength(1);
    expect(replays[0].detail).toMatchObject({ during: "passkey_add", reason: "replay" });
    expect(await failuresOf(victim.userId)).toBe(1);
  });

  test("a concurrent burst of 10 wrong codes as proof, split over two instances: at most 5 evaluated, then 429; then even the right password + code is 429", async () => {
    const victim = await clientWith2FA(env);
    const stepBefore = await lastStepOf(victim.userId);
    const burst = Array.from({ length: 10 }, (_, i) => {
      const copy = copyBrowser(victim.client, (i % 2 ? second : env).app);
      return copy.post("/auth/2fa/passkeys/registration-options", { password: PASSWORD, code: wrongCode(victim.secret, i) });
    });
    const answers = await Promise.all(burst);
    for (const a of answers) expect([`${a.status} ${a.body.code}`]).toEqual([expect.stringMatching(/^(400 INVALID_CODE|429 TOO_MANY_ATTEMPTS)$/)]);
    // the fifth counted failure itself answers 429 (it locks); at most four can say "wrong"
    expect(answers.filter((a) => a.status === 400).length).toBeLessThanOrEqual(4);
    expect(answers.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(6);
    expect(await failuresOf(victim.userId)).toBe(5);
    const { twoFactorLockedUntil } = await twoFactorState(env, victim.userId);
    expect(twoFactorLockedUntil!.getTime()).toBeGreaterThan(env.clock.now());

    for (const instance of [env, second]) {
      const right = await copyBrowser(victim.client, instance.app).post("/auth/2fa/passkeys/registration-options", stepUp(victim.secret, env));
      expect(right.status).toBe(429);
      expect(right.body.code).toBe("TOO_MANY_ATTEMPTS");
      expect(Number(right.headers["retry-after"])).toBeGreaterThan(0);
    }
    expect(await lastStepOf(victim.userId)).toBe(stepBefore); // the right code was not spent either
    expect(await env.db.webAuthnChallenge.count({ where: { userId: victim.userId } })).toBe(0);
    expect(await env.db.mailOutbox.count({ where: { userId: victim.userId, template: "account_locked" } })).toBe(1);
  });
});

describe("rule 19: no oracle before the second factor (finding 5)", () => {
  const verify = (client: Client, body: object) => client.post("/auth/2fa/verify-login", body);
  /** What a wrong code at the code step may say: that it is wrong, and how many tries are left. */
  const plainRefusal = (attemptsRemaining: number) => ({ code: "INVALID_CODE", message: ERROR_CODES.INVALID_CODE.message, attemptsRemaining });
  const failuresAudited = (userId: string) =>
    env.db.auditEvent.findMany({ where: { userId, type: "TWOFA_VERIFY_FAILURE" }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });

  test("codes 4 steps ahead and behind: 400 with only message, code, attemptsRemaining; the audit and the challenge keep the drift; the successful login then says clockDrift {driftSeconds: 120}", async () => {
    const { email, secret, userId } = await clientWith2FA(env);
    const login = await startLogin(env, email);
    const behind = await verify(login, { code: codeAt(secret, env, -4) });
    expect(behind.status).toBe(400);
    expect(behind.body).toEqual(plainRefusal(4));
    const ahead = await verify(login, { code: codeAt(secret, env, +4) });
    expect(ahead.status).toBe(400);
    expect(ahead.body).toEqual(plainRefusal(3));
    // the server knows: the audit rows and the challenge keep it (the latest drift seen)
    expect((await failuresAudited(userId)).map((e) => e.detail)).toEqual([
      { method: "totp", reason: "clock_drift", driftSeconds: -120 },
      { method: "totp", reason: "clock_drift", driftSeconds: 120 },
    ]);
    const challenge = await env.db.loginChallenge.findFirstOrThrow({ where: { userId, consumedAt: null } });
    expect(challenge.driftSeconds).toBe(120);

    env.clock.advance(90);
    const ok = await verify(login, { code: codeAt(secret, env) });
    expect(ok.status).toBe(200);
    expect(ok.body.clockDrift).toEqual({ driftSeconds: 120, message: "Your authenticator's clock is about 2 minutes fast: set the phone's time to automatic" });
    expect(ok.body.user).toMatchObject({ email });

    // a login whose refused codes showed no drift says nothing about the clock
    env.clock.advance(30);
    const other = await startLogin(env, email);
    expect((await verify(other, { code: wrongCode(secret) })).body).toEqual(plainRefusal(4));
    const plain = await verify(other, { code: codeAt(secret, env) });
    expect(plain.status).toBe(200);
    expect(plain.body).not.toHaveProperty("clockDrift");
  });

  test("the finding as run: a code for step now+4 is refused without a hint; 90 s later the same code on the same challenge is never a login that an answer pointed to", async () => {
    const { email, secret, userId } = await clientWith2FA(env);
    const login = await startLogin(env, email);
    // the other distances an attacker's guesses could fall on: the same plain answer
    const refusals: unknown[] = [];
    for (const [steps, left] of [[-2, 4], [+10, 3]] as const) {
      const res = await verify(login, { code: codeAt(secret, env, steps) });
      expect(res.body).toEqual(plainRefusal(left));
      refusals.push(res.body);
    }
    const future = codeAt(secret, env, +4);
    const first = await verify(login, { code: future });
    expect(first.status).toBe(400);
    expect(first.body).toEqual(plainRefusal(2));
    refusals.push(first.body);
    env.clock.advance(90);
    const later = await verify(login, { code: future });
    // At +90 s the code is one step ahead: inside the ±1 window (rule 3), as good as the code the
    // phone shows. Whatever the server does, no answer before the second factor said which guess
    // to keep; a login is told the drift only once it has succeeded.
    if (later.status === 200) {
      expect(later.body.clockDrift).toEqual({ driftSeconds: 120, message: expect.stringContaining("about 2 minutes fast") });
    } else {
      expect(later.body).toEqual(plainRefusal(1));
      refusals.push(later.body);
    }
    for (const body of refusals) {
      expect(body).not.toHaveProperty("reason");
      expect(body).not.toHaveProperty("driftSeconds");
      expect(JSON.stringify(body)).not.toMatch(/clock_drift|fast|slow|minute/);
    }
    const drifts = (await failuresAudited(userId)).map((e) => (e.detail as { driftSeconds?: number }).driftSeconds);
    expect(drifts.slice(0, 3)).toEqual([-60, 300, 120]);
  });

  test("a spent code of the previous step → no reason; the current step's spent code → reason replay (wait for the next one)", async () => {
    const { email, secret, userId } = await clientWith2FA(env);
    toNextStepAt(5);
    const previous = codeAt(secret, env);
    const previousStep = currentStep();
    expect((await verify(await startLogin(env, email), { code: previous })).status).toBe(200);
    env.clock.advance(30); // the spent code is now the previous step's: still inside the window
    const login = await startLogin(env, email);
    const old = await verify(login, { code: previous });
    expect(old.status).toBe(400);
    expect(old.body).toEqual(plainRefusal(4));
    const replayed = await env.db.auditEvent.findFirstOrThrow({ where: { userId, type: "TOTP_REPLAY" }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
    expect(replayed.detail).toMatchObject({ method: "totp", reason: "replay", step: previousStep });
    // a replay is not drift: the login on this challenge says nothing about the clock
    const current = codeAt(secret, env);
    const ok = await verify(login, { code: current });
    expect(ok.status).toBe(200);
    expect(ok.body).not.toHaveProperty("clockDrift");
    // the current step's code again (typed twice, or a second tab): worth saying, wait for the next
    const again = await verify(await startLogin(env, email), { code: current });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ code: "INVALID_CODE", reason: "replay", retryInSeconds: 25, attemptsRemaining: 4 });
    expect(again.body).not.toHaveProperty("driftSeconds");
    expect(await auditCount(userId, "TOTP_REPLAY")).toBe(2);
  });

  test("authenticated flows may say it: enable with a code 4 steps ahead → clock_drift, driftSeconds 120", async () => {
    const { client, userId } = await registeredClient(env);
    const { secret } = (await client.post("/auth/2fa/setup", {})).body;
    const res = await client.post("/auth/2fa/enable", { token: generateTotp(secret, env.clock.now() + 4 * 30_000) });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "INVALID_CODE", reason: "clock_drift", driftSeconds: 120, attemptsRemaining: 4 });
    expect(await twoFactorState(env, userId)).toMatchObject({ enabled: false });
  });
});

describe("rule 20: re-enrolment after an admin reset only through the emailed link (finding 7)", () => {
  test("end to end: the password alone does not open setup; the emailed link + the password does, then enable with a code; then the link opens nothing", async () => {
    const victim = await clientWith2FA(env);
    await adminResets(victim.userId);
    const resetAt = env.clock.now();
    // the outbox keeps the token sealed until the mail is out; the link row keeps only its hash
    const queued = await env.db.mailOutbox.findFirstOrThrow({ where: { userId: victim.userId, template: "admin_twofa_reset" } });
    const token = await theNewLink(victim.email, RESET_SUBJECT);
    expect(JSON.stringify(queued.data)).not.toContain(token);
    expect((queued.data as { sealed?: { token?: string } }).sealed?.token).toEqual(expect.any(String));
    const sent = await env.db.mailOutbox.findUniqueOrThrow({ where: { id: queued.id } });
    expect(sent.sentAt).not.toBeNull();
    expect(sent.data).not.toHaveProperty("sealed");
    const links = await env.db.enrolmentLink.findMany({ where: { userId: victim.userId } });
    expect(links.map((l) => [l.tokenHash, l.createdAt.getTime(), l.expiresAt.getTime()])).toEqual([[sha256(token), resetAt, resetAt + 24 * 3600 * 1000]]);

    // finding 7: whoever has the password signs in — to a session where only the setup is open ...
    const user = await signInWithPassword(victim.email);
    expect((await user.get("/auth/sessions")).body.code).toBe("TWOFA_SETUP_REQUIRED");
    // ... and the setup needs the link AND the password
    for (const [path, body] of [
      ["/auth/2fa/setup", {}],
      ["/auth/2fa/setup", { password: PASSWORD }],
      ["/auth/2fa/setup", { enrolmentToken: token }],
      ["/auth/2fa/passkeys/registration-options", { password: PASSWORD }],
    ] as const) {
      expectReauth(await user.post(path, body), NEEDS_LINK);
    }
    for (const enrolmentToken of [crypto.randomBytes(32).toString("base64url"), "not-a-token", `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`]) {
      const res = await user.post("/auth/2fa/setup", { enrolmentToken, password: PASSWORD });
      expect([res.status, res.body.code]).toEqual([400, "ENROLMENT_LINK_INVALID"]);
    }
    const wrongPassword = await user.post("/auth/2fa/setup", { enrolmentToken: token, password: "not the password at all 42" });
    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword.body).toMatchObject({ code: "INVALID_PASSWORD", attemptsRemaining: 4 });
    expect(await env.db.totpSetup.count({ where: { userId: victim.userId } })).toBe(0);
    expect(await env.db.webAuthnChallenge.count({ where: { userId: victim.userId } })).toBe(0);
    // nor can the previously enrolled app's code stand in for anything: 2FA is off
    const enableWithout = await user.post("/auth/2fa/enable", { token: codeAt(victim.secret, env) });
    expect([enableWithout.status, enableWithout.body.code]).toEqual([400, "NO_PENDING_SETUP"]);

    const setup = await user.post("/auth/2fa/setup", { enrolmentToken: token, password: PASSWORD });
    expect(setup.status).toBe(200);
    const enable = await user.post("/auth/2fa/enable", { token: generateTotp(setup.body.secret, env.clock.now()) });
    expect(enable.status).toBe(200);
    expect(enable.body.backupCodes).toHaveLength(10);
    env.clock.advance(30);
    expect(await env.db.user.findUniqueOrThrow({ where: { id: victim.userId }, select: { twoFactorSetupRequired: true } })).toEqual({ twoFactorSetupRequired: false });
    expect((await user.get("/auth/sessions")).status).toBe(200);

    // the link is spent: it is no step-up for the new factor, and sets nothing up
    const again = await user.post("/auth/2fa/setup", { enrolmentToken: token, password: PASSWORD });
    expect([again.status, again.body.code]).toEqual([409, "TWOFA_ALREADY_ENABLED"]);
    expectReauth(await user.post("/auth/2fa/passkeys/registration-options", { enrolmentToken: token, password: PASSWORD }), NEEDS_BOTH);
    const resend = await user.post("/auth/2fa/enrolment-link");
    expect([resend.status, resend.body.code]).toEqual([409, "TWOFA_ALREADY_ENABLED"]);
    // a second reset mails a new link; the first one stays dead
    await adminResets(victim.userId);
    const secondLink = await theNewLink(victim.email, RESET_SUBJECT);
    const after = await signInWithPassword(victim.email);
    const old = await after.post("/auth/2fa/setup", { enrolmentToken: token, password: PASSWORD });
    expect([old.status, old.body.code]).toEqual([400, "ENROLMENT_LINK_INVALID"]);
    // with the new link the user enrols a passkey this time
    const key = newAuthenticator(env);
    const options = await after.post("/auth/2fa/passkeys/registration-options", { enrolmentToken: secondLink, password: PASSWORD });
    expect(options.status).toBe(200);
    expect((await after.post("/auth/2fa/passkeys", { name: "New key", response: key.register(options.body) })).status).toBe(201);
    expect(await twoFactorState(env, victim.userId)).toMatchObject({ enabled: true, passkeys: 1 });
  });

  test("another user's link is refused (and is not spent by it)", async () => {
    const alice = await clientWith2FA(env);
    const bob = await clientWith2FA(env);
    await adminResets(alice.userId);
    await adminResets(bob.userId);
    const alicesLink = await theNewLink(alice.email, RESET_SUBJECT);
    const bobsLink = await theNewLink(bob.email, RESET_SUBJECT);
    const asBob = await signInWithPassword(bob.email);
    for (const path of ["/auth/2fa/setup", "/auth/2fa/passkeys/registration-options"]) {
      const res = await asBob.post(path, { enrolmentToken: alicesLink, password: PASSWORD });
      expect([res.status, res.body.code]).toEqual([400, "ENROLMENT_LINK_INVALID"]);
    }
    expect(await env.db.totpSetup.count({ where: { userId: { in: [alice.userId, bob.userId] } } })).toBe(0);
    expect((await (await signInWithPassword(alice.email)).post("/auth/2fa/setup", { enrolmentToken: alicesLink, password: PASSWORD })).status).toBe(200);
    expect((await asBob.post("/auth/2fa/setup", { enrolmentToken: bobsLink, password: PASSWORD })).status).toBe(200);
  });

  test("the link expires 24 h after the reset (ENROLMENT_LINK_EXPIRED); a new one by POST /auth/2fa/enrolment-link works", async () => {
    const victim = await clientWith2FA(env);
    await adminResets(victim.userId);
    const token = await theNewLink(victim.email, RESET_SUBJECT);
    const user = await signInWithPassword(victim.email);
    env.clock.advance(24 * 3600 - 1);
    expect((await user.post("/auth/refresh")).status).toBe(200);
    const options = await user.post("/auth/2fa/passkeys/registration-options", { enrolmentToken: token, password: PASSWORD });
    expect(options.status).toBe(200); // one second before the end
    env.clock.advance(1);
    for (const path of ["/auth/2fa/setup", "/auth/2fa/passkeys/registration-options"]) {
      const res = await user.post(path, { enrolmentToken: token, password: PASSWORD });
      expect([res.status, res.body.code]).toEqual([400, "ENROLMENT_LINK_EXPIRED"]);
    }
    expect(await env.db.totpSetup.count({ where: { userId: victim.userId } })).toBe(0);

    const resend = await user.post("/auth/2fa/enrolment-link");
    expect(resend.status).toBe(202);
    const fresh = await theNewLink(victim.email, RESEND_SUBJECT);
    const old = await user.post("/auth/2fa/setup", { enrolmentToken: token, password: PASSWORD });
    expect([old.status, old.body.code]).toEqual([400, "ENROLMENT_LINK_INVALID"]);
    const setup = await user.post("/auth/2fa/setup", { enrolmentToken: fresh, password: PASSWORD });
    expect(setup.status).toBe(200);
    expect((await user.post("/auth/2fa/enable", { token: generateTotp(setup.body.secret, env.clock.now()) })).status).toBe(200);
    env.clock.advance(30);
  });

  test("'send the link again' replaces the old link; again within 10 minutes → 429 with Retry-After; only while the setup is required", async () => {
    const victim = await clientWith2FA(env);
    await adminResets(victim.userId);
    const first = await theNewLink(victim.email, RESET_SUBJECT);
    const user = await signInWithPassword(victim.email);

    const resend = await user.post("/auth/2fa/enrolment-link");
    expect(resend.status).toBe(202);
    const secondLink = await theNewLink(victim.email, RESEND_SUBJECT);
    expect(secondLink).not.toBe(first);
    const stale = await user.post("/auth/2fa/setup", { enrolmentToken: first, password: PASSWORD });
    expect([stale.status, stale.body.code]).toEqual([400, "ENROLMENT_LINK_INVALID"]);

    const soon = await user.post("/auth/2fa/enrolment-link");
    expect(soon.status).toBe(429);
    expect(soon.body).toMatchObject({ code: "TOO_MANY_REQUESTS", retryAfterSeconds: 600 });
    expect(soon.headers["retry-after"]).toBe("600");
    env.clock.advance(10 * 60 - 1);
    expect((await user.post("/auth/refresh")).status).toBe(200);
    expect((await user.post("/auth/2fa/enrolment-link")).body).toMatchObject({ code: "TOO_MANY_REQUESTS", retryAfterSeconds: 1 });
    expect(await newLinks(victim.email)).toEqual([]);
    env.clock.advance(1);
    expect((await user.post("/auth/2fa/enrolment-link")).status).toBe(202);
    const third = await theNewLink(victim.email, RESEND_SUBJECT);
    const replaced = await user.post("/auth/2fa/setup", { enrolmentToken: secondLink, password: PASSWORD });
    expect([replaced.status, replaced.body.code]).toEqual([400, "ENROLMENT_LINK_INVALID"]);
    expect((await user.post("/auth/2fa/setup", { enrolmentToken: third, password: PASSWORD })).status).toBe(200);
    expect(await auditCount(victim.userId, "ENROLMENT_LINK_SENT")).toBe(2);
    expect(await env.db.enrolmentLink.count({ where: { userId: victim.userId } })).toBe(1);

    // nobody else gets a link: an account whose 2FA was not reset
    const { client: plain, email: plainEmail, userId: plainId } = await registeredClient(env);
    const notNeeded = await plain.post("/auth/2fa/enrolment-link");
    expect([notNeeded.status, notNeeded.body.code]).toEqual([409, "TWOFA_ALREADY_ENABLED"]);
    expect(await env.db.enrolmentLink.count({ where: { userId: plainId } })).toBe(0);
    expect(await newLinks(plainEmail)).toEqual([]);
  });

  test("a concurrent burst of 10 'send the link again', split over two instances → exactly one 202, one link, one mail", async () => {
    const victim = await clientWith2FA(env);
    await adminResets(victim.userId);
    const first = await theNewLink(victim.email, RESET_SUBJECT);
    const user = await signInWithPassword(victim.email);
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => copyBrowser(user, (i % 2 ? second : env).app).post("/auth/2fa/enrolment-link")));
    expect(answers.map((a) => a.status).sort()).toEqual([202, ...Array(9).fill(429)]);
    for (const a of answers.filter((x) => x.status === 429)) expect(a.body.code).toBe("TOO_MANY_REQUESTS");
    expect(await auditCount(victim.userId, "ENROLMENT_LINK_SENT")).toBe(1);
    expect(await env.db.mailOutbox.count({ where: { userId: victim.userId, template: "twofa_enrolment_link" } })).toBe(1);
    expect(await env.db.enrolmentLink.count({ where: { userId: victim.userId } })).toBe(1);
    const fresh = await theNewLink(victim.email, RESEND_SUBJECT);
    expect((await env.db.enrolmentLink.findFirstOrThrow({ where: { userId: victim.userId } })).tokenHash).toBe(sha256(fresh));
    const old = await user.post("/auth/2fa/setup", { enrolmentToken: first, password: PASSWORD });
    expect([old.status, old.body.code]).toEqual([400, "ENROLMENT_LINK_INVALID"]);
    expect((await user.post("/auth/2fa/setup", { enrolmentToken: fresh, password: PASSWORD })).status).toBe(200);
  });
});
