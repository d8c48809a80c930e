// Admin recovery (issue 14.4): only an ADMIN with 2FA on reaches /auth/admin/*; a 2FA reset is
// audited naming the admin and the reason, emailed, ends every session and remembered device,
// and makes setup required at the next sign-in; unlock lifts a lock set by wrong codes.
import { createUser } from "../src/auth/users";
import { generateTotp } from "../src/two-factor/totp/totp";
import { Client, clientWith2FA, codeAt, copyBrowser, PASSWORD, registeredClient, startLogin, startTestApp, stepUp, uniqueEmail, twoFactorState, type TestEnv } from "./harness";
import { useAppWithMail, type MailCapture } from "./smtp";

let env: TestEnv;
let mail: MailCapture;
useAppWithMail((e, m) => ((env = e), (mail = m)));
const inbox = (email: string) => mail.inbox(email);

/** An ADMIN created like `npm run user:create -- --admin`, signed in, with or without 2FA. */
async function adminClient(withTwoFactor = true) {
  const email = uniqueEmail("admin");
  await createUser(env.db, { email, password: PASSWORD, role: "ADMIN" });
  const client = await new Client(env.app).init();
  expect((await client.post("/auth/login", { email, password: PASSWORD })).status).toBe(200);
  if (!withTwoFactor) return { client, email, secret: "" };
  const setup = await client.post("/auth/2fa/setup", {});
  const secret = setup.body.secret as string;
  expect((await client.post("/auth/2fa/enable", { token: generateTotp(secret, env.clock.now()) })).status).toBe(200);
  env.clock.advance(30);
  return { client, email, secret };
}

const RESET_REASON = "Lost phone and backup codes; identity checked by video call";

/** The token of the newest re-enrolment link emailed to `email` (DESIGN §6 rule 20). */
export async function enrolmentToken(email: string): Promise<string> {
  const links = (await inbox(email)).map((m) => /\/enrol#token=([A-Za-z0-9_%-]+)/.exec(m.text ?? "")?.[1]).filter((t): t is string => !!t);
  if (links.length === 0) throw new Error(`no enrolment link emailed to ${email}`);
  return decodeURIComponent(links[links.length - 1]);
}

describe("who may use the admin API (per-route options of authenticate)", () => {
  test("a USER gets 403 FORBIDDEN, an ADMIN without 2FA 403 TWOFA_SETUP_REQUIRED, nobody signed in 401", async () => {
    const { client: user } = await registeredClient(env);
    expect((await user.get("/auth/admin/users")).body.code).toBe("FORBIDDEN");
    const { client: noTwoFactor } = await adminClient(false);
    const res = await noTwoFactor.get("/auth/admin/users");
    expect(res.status).toBe(403);
    expect(res.body.code).toBe("TWOFA_SETUP_REQUIRED");
    // what it takes to turn 2FA on is still open to it
    expect((await noTwoFactor.get("/auth/me")).status).toBe(200);
    expect((await noTwoFactor.post("/auth/2fa/setup", {})).status).toBe(200);
    expect((await new Client(env.app).get("/auth/admin/users")).status).toBe(401);
  });
});

describe("user list", () => {
  test("search by email; each row says 2FA state, factors, last sign-in and whether it is locked", async () => {
    const { client: admin } = await adminClient();
    const tag = `find${Date.now().toString(36)}`;
    const plain = await registeredClient(env, `${tag}-plain@example.com`);
    const secured = await clientWith2FA(env, `${tag}-secured@example.com`);
    const attacker = await startLogin(env, secured.email);
    for (let i = 0; i < 5; i++) await attacker.post("/auth/2fa/verify-login", { code: "000000" });

    const res = await admin.get(`/auth/admin/users?query=${tag.toUpperCase()}`);
    expect(res.status).toBe(200);
    expect(res.body.users.map((u: { email: string }) => u.email)).toEqual([plain.email, secured.email]);
    const [p, s] = res.body.users;
    expect(p).toMatchObject({ id: plain.userId, role: "USER", twoFactorEnabled: false, locked: false, lockedUntil: null, backupCodesRemaining: 0 });
    expect(s).toMatchObject({ id: secured.userId, twoFactorEnabled: true, locked: true, backupCodesRemaining: 10 });
    expect(new Date(s.lastSignInAt).getTime()).toBe(new Date(env.clock.now() - 30_000).getTime());
    expect(res.body.nextCursor).toBeNull();

    // % and _ are literal, not wildcards
    expect((await admin.get(`/auth/admin/users?query=${encodeURIComponent("%")}`)).body.users).toEqual([]);
    // pages
    const first = await admin.get(`/auth/admin/users?query=${tag}&limit=1`);
    expect(first.body.users).toHaveLength(1);
    const second = await admin.get(`/auth/admin/users?query=${tag}&limit=1&after=${encodeURIComponent(first.body.nextCursor)}`);
    expect(second.body.users[0].email).toBe(secured.email);
    expect((await admin.get("/auth/admin/users?limit=0")).status).toBe(400);
  });
});

describe("reset a user's 2FA", () => {
  test("needs a written reason; then 2FA is off, every session and remembered device ends, the user is emailed, the event names the admin", async () => {
    const { client: admin, email: adminEmail, secret: adminSecret } = await adminClient();
    const victim = await clientWith2FA(env);
    const laptop = await startLogin(env, victim.email);
    expect((await laptop.post("/auth/2fa/verify-login", { code: codeAt(victim.secret, env), rememberDevice: true })).status).toBe(200);

    const noReason = await admin.post(`/auth/admin/users/${victim.userId}/reset-2fa`, { reason: "lost", ...stepUp(adminSecret, env) });
    expect(noReason.status).toBe(400);
    expect(noReason.body.fields[0].field).toBe("reason");

    const res = await admin.post(`/auth/admin/users/${victim.userId}/reset-2fa`, { reason: RESET_REASON, ...stepUp(adminSecret, env) });
    expect(res.status).toBe(200);
    expect((await victim.client.get("/auth/me")).status).toBe(401);
    expect((await laptop.get("/auth/me")).status).toBe(401);
    expect(await env.db.backupCode.count({ where: { userId: victim.userId } })).toBe(0);
    expect(await env.db.trustedDevice.count({ where: { userId: victim.userId } })).toBe(0);

    const [event] = await env.db.auditEvent.findMany({ where: { userId: victim.userId, type: "ADMIN_TWOFA_RESET" } });
    expect(event.detail).toMatchObject({ admin: { email: adminEmail }, reason: RESET_REASON, sessionsRevoked: 2, devicesForgotten: 1 });
    const mail = (await inbox(victim.email)).find((m) => m.subject === "An administrator reset your two-factor authentication");
    expect(mail?.text).toContain(`Reason given: ${RESET_REASON}`);
    expect(mail?.text).toMatch(/\/enrol#token=/);

    // a second click (another admin at the same time) finds nothing to reset
    expect((await admin.post(`/auth/admin/users/${victim.userId}/reset-2fa`, { reason: RESET_REASON, ...stepUp(adminSecret, env) })).body.code).toBe("TWOFA_NOT_ENABLED");
  });

  test("at the next sign-in the user must set 2FA up again before anything else, with the emailed link and the password (rule 20)", async () => {
    const { client: admin, secret: adminSecret } = await adminClient();
    const victim = await clientWith2FA(env);
    const laptop = await startLogin(env, victim.email);
    expect((await laptop.post("/auth/2fa/verify-login", { code: codeAt(victim.secret, env), rememberDevice: true })).status).toBe(200);
    expect((await admin.post(`/auth/admin/users/${victim.userId}/reset-2fa`, { reason: RESET_REASON, ...stepUp(adminSecret, env) })).status).toBe(200);

    // the remembered device does not help, and no code is asked (2FA is off) ...
    const again = copyBrowser(laptop);
    const login = await again.post("/auth/login", { email: victim.email, password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body.user.twoFactorEnabled).toBe(false);
    // ... but only the 2FA setup is open, and only with the emailed link and the password
    expect((await again.get("/auth/me")).status).toBe(200);
    expect((await again.get("/auth/sessions")).body.code).toBe("TWOFA_SETUP_REQUIRED");
    const passwordOnly = await again.post("/auth/2fa/setup", { password: PASSWORD });
    expect(passwordOnly.status).toBe(401);
    expect(passwordOnly.body).toMatchObject({ code: "REAUTH_REQUIRED", needs: ["enrolmentLink", "password"] });
    const setup = await again.post("/auth/2fa/setup", { enrolmentToken: await enrolmentToken(victim.email), password: PASSWORD });
    expect(setup.status).toBe(200);
    expect((await again.post("/auth/2fa/enable", { token: generateTotp(setup.body.secret, env.clock.now()) })).status).toBe(200);
    expect((await again.get("/auth/sessions")).status).toBe(200);
    expect(await env.db.user.findUniqueOrThrow({ where: { id: victim.userId }, select: { twoFactorSetupRequired: true } })).toEqual({ twoFactorSetupRequired: false });
  });

  test("an admin cannot reset their own 2FA here; an unknown id is 404", async () => {
    const { client: admin, secret } = await adminClient();
    const me = (await admin.get("/auth/me")).body.id;
    expect((await admin.post(`/auth/admin/users/${me}/reset-2fa`, { reason: RESET_REASON, ...stepUp(secret, env) })).status).toBe(400);
    expect((await admin.post(`/auth/admin/users/nope/reset-2fa`, { reason: RESET_REASON, ...stepUp(secret, env) })).status).toBe(404);
  });
});

describe("unlock", () => {
  test("lifts a lock set by wrong codes: audited naming the admin, emailed; the user signs in with a code at once", async () => {
    const { client: admin, email: adminEmail, secret: adminSecret } = await adminClient();
    const victim = await clientWith2FA(env);
    const attacker = await startLogin(env, victim.email);
    for (let i = 0; i < 5; i++) await attacker.post("/auth/2fa/verify-login", { code: "000000" });
    const owner = await startLogin(env, victim.email);
    expect((await owner.post("/auth/2fa/verify-login", { code: codeAt(victim.secret, env) })).status).toBe(429);

    expect((await admin.post(`/auth/admin/users/${victim.userId}/unlock`, stepUp(adminSecret, env))).status).toBe(200);
    const fresh = await startLogin(env, victim.email);
    expect((await fresh.post("/auth/2fa/verify-login", { code: codeAt(victim.secret, env) })).status).toBe(200);

    const [event] = await env.db.auditEvent.findMany({ where: { userId: victim.userId, type: "ACCOUNT_UNLOCKED" } });
    expect(event.detail).toMatchObject({ admin: { email: adminEmail } });
    expect((await inbox(victim.email)).map((m) => m.subject)).toContain("Your account was unlocked");
    const notLocked = await admin.post(`/auth/admin/users/${victim.userId}/unlock`, stepUp(adminSecret, env));
    expect(notLocked.status).toBe(409);
    expect(notLocked.body.code).toBe("NOT_LOCKED");
  });
});

describe("rule 7: admin actions carry the admin's own password AND second factor, written as the attack", () => {
  /** A victim with 2FA on whose account wrong codes locked: something to reset and to unlock. */
  async function lockedVictim() {
    const victim = await clientWith2FA(env);
    const attacker = await startLogin(env, victim.email);
    for (let i = 0; i < 5; i++) await attacker.post("/auth/2fa/verify-login", { code: "000000" });
    return victim;
  }
  const victimState = (id: string) => twoFactorState(env, id);
  const actions = (victimId: string) => [`/auth/admin/users/${victimId}/reset-2fa`, `/auth/admin/users/${victimId}/unlock`];

  test("a stolen admin session, fresh or 20 minutes old, plus the admin's password but no second factor resets and unlocks nobody", async () => {
    const { client: old } = await adminClient();
    env.clock.advance(20 * 60);
    expect((await old.post("/auth/refresh")).status).toBe(200);
    const { client: fresh } = await adminClient();
    const victim = await lockedVictim();

    for (const stolen of [fresh, old]) {
      for (const path of actions(victim.userId)) {
        for (const body of [{}, { password: PASSWORD }]) {
          const res = await stolen.post(path, { reason: RESET_REASON, ...body });
          expect(res.status).toBe(401);
          expect(res.body).toMatchObject({ code: "REAUTH_REQUIRED", needs: ["password", "secondFactor"] });
        }
      }
      // not a logged-out session: the admin is still signed in and can still read the list
      expect((await stolen.get("/auth/admin/users")).status).toBe(200);
    }
    const state = await victimState(victim.userId);
    expect(state.enabled).toBe(true);
    expect(state.twoFactorLockedUntil!.getTime()).toBeGreaterThan(env.clock.now());
    expect(await env.db.auditEvent.count({ where: { userId: victim.userId, type: { in: ["ADMIN_TWOFA_RESET", "ACCOUNT_UNLOCKED"] } } })).toBe(0);
  });

  test("guessing the admin's code (with the right password) is budgeted on the admin's account: 4 × 400 INVALID_CODE, then 429, and then even the right code is refused", async () => {
    const victim = await lockedVictim();
    const { client: stolen, email: adminEmail, secret } = await adminClient();
    const adminId = (await stolen.get("/auth/me")).body.id;
    const wrongCode = (n: number) => String((Number(codeAt(secret, env)) + 1 + n) % 1_000_000).padStart(6, "0");

    for (let left = 4; left >= 1; left--) {
      const guess = await stolen.post(actions(victim.userId)[left % 2], { reason: RESET_REASON, password: PASSWORD, code: wrongCode(left) });
      expect(guess.status).toBe(400);
      expect(guess.body).toMatchObject({ code: "INVALID_CODE", attemptsRemaining: left });
    }
    const fifth = await stolen.post(actions(victim.userId)[0], { reason: RESET_REASON, password: PASSWORD, code: wrongCode(0) });
    expect(fifth.status).toBe(429);
    expect(fifth.body.code).toBe("TOO_MANY_ATTEMPTS");
    expect(fifth.body.retryAfterSeconds).toBeGreaterThan(0);

    const right = await stolen.post(actions(victim.userId)[0], { reason: RESET_REASON, ...stepUp(secret, env) });
    expect(right.status).toBe(429);
    expect((await victimState(victim.userId)).enabled).toBe(true);
    const failures = await env.db.auditEvent.findMany({ where: { userId: adminId, type: "TWOFA_VERIFY_FAILURE" } });
    expect(failures).toHaveLength(5);
    expect(failures[0].detail).toMatchObject({ during: expect.stringMatching(/^admin_/) });
    // the admin is told their account locked: whoever guessed holds their session and password
    expect((await inbox(adminEmail)).map((m) => m.subject)).toContain("Too many wrong codes or passwords: your account is locked");
  });

  test("with the password and a code the admin acts whatever the sign-in's age; each action spends its own proof", async () => {
    const { client: admin, secret } = await adminClient();
    env.clock.advance(20 * 60);
    await admin.post("/auth/refresh");
    const victim = await lockedVictim();
    const proof = stepUp(secret, env);
    expect((await admin.post(`/auth/admin/users/${victim.userId}/unlock`, proof)).status).toBe(200);
    // the same code again is a replay, refused (and counted): one proof, one action
    const replay = await admin.post(`/auth/admin/users/${victim.userId}/reset-2fa`, { reason: RESET_REASON, ...proof });
    expect(replay.status).toBe(400);
    expect(replay.body).toMatchObject({ code: "INVALID_CODE", reason: "replay" });
    expect((await admin.post(`/auth/admin/users/${victim.userId}/reset-2fa`, { reason: RESET_REASON, ...stepUp(secret, env) })).status).toBe(200);
    expect((await victimState(victim.userId)).enabled).toBe(false);
  });
});
