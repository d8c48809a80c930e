// Issue 11, items 4, 5 and 7: answers that help. A refused code says why (DESIGN §5 `reason`):
// a replay says how long until the next code, a phone whose clock is off is told by how much
// (never accepted, still charged), a spent backup code says so; the security log words a replay by
// the owner calmly; events of one transaction list in a stable order; setup keeps its secret.
// Time is the injected TestClock (it starts on a 30-s step boundary): nothing sleeps.
import { newAuditId } from "../src/security/audit";
import { generateTotp } from "../src/two-factor/totp/totp";
import { Client, clientWith2FA, codeAt, PASSWORD, registeredClient, startLogin, startTestApp, twoFactorOn, type TestEnv } from "./harness";

let env: TestEnv;
beforeAll(async () => {
  env = await startTestApp({ env: { LOGIN_CHALLENGE_TTL_SECONDS: "300", PENDING_SETUP_TTL_SECONDS: "900" } });
});
afterAll(() => env.close());

const verify = (client: Client, body: object) => client.post("/auth/2fa/verify-login", body);
/** Seconds into the current 30-s step. */
const intoStep = () => Math.floor(env.clock.now() / 1000) % 30;
/** Moves the clock to `seconds` into the next step. */
const toNextStepAt = (seconds: number) => env.clock.advance(30 - intoStep() + seconds);
const lastEvent = (userId: string, type: "TOTP_REPLAY" | "TWOFA_VERIFY_FAILURE") =>
  env.db.auditEvent.findFirstOrThrow({ where: { userId, type }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("a replayed code (same step already used) says how long until the next one", () => {
  test("at login, by the same browser: 400 replay with retryInSeconds to the next step; audited TOTP_REPLAY {sameBrowser: true}", async () => {
    const { email, secret, userId } = await clientWith2FA(env);
    toNextStepAt(10);
    const code = codeAt(secret, env);
    const first = await startLogin(env, email);
    expect((await verify(first, { code })).status).toBe(200);
    env.clock.advance(2); // 12 s into the step: the next code shows in 18 s
    const again = await startLogin(env, email, first.ip);
    const res = await verify(again, { code });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      code: "INVALID_CODE",
      reason: "replay",
      retryInSeconds: 18,
      attemptsRemaining: 4,
      message: "This code was already used. Wait for the next one (about 18 s)",
    });
    const event = await lastEvent(userId, "TOTP_REPLAY");
    expect(event.detail).toMatchObject({ method: "totp", reason: "replay", sameBrowser: true });
    // the next step's code is accepted on the same challenge
    env.clock.advance(18);
    expect((await verify(again, { code: codeAt(secret, env) })).status).toBe(200);
  });

  test("from another browser (another IP): the same answer, audited {sameBrowser: false} (the log warns)", async () => {
    const { email, secret, userId } = await clientWith2FA(env);
    toNextStepAt(0);
    const code = codeAt(secret, env);
    expect((await verify(await startLogin(env, email, "10.1.1.1"), { code })).status).toBe(200);
    const res = await verify(await startLogin(env, email, "10.2.2.2"), { code });
    expect(res.body).toMatchObject({ code: "INVALID_CODE", reason: "replay", retryInSeconds: 30 });
    expect((await lastEvent(userId, "TOTP_REPLAY")).detail).toMatchObject({ sameBrowser: false });
  });

  test("when a newer step was already used (a code taken ahead of time), the wait runs to the step after it", async () => {
    const { email, secret } = await clientWith2FA(env);
    toNextStepAt(20);
    expect((await verify(await startLogin(env, email), { code: codeAt(secret, env, +1) })).status).toBe(200);
    const res = await verify(await startLogin(env, email), { code: codeAt(secret, env) });
    // step s+1 is spent: the phone shows a usable code at the start of s+2, 40 s from now
    expect(res.body).toMatchObject({ reason: "replay", retryInSeconds: 40, message: "This code was already used. Wait for the next one (about 40 s)" });
  });

  test("rule 19: a code of the previous step replayed while the next one already shows says nothing at login (another step); as proof: retryInSeconds 0, 'enter the new code'", async () => {
    const { email, secret, userId } = await clientWith2FA(env);
    toNextStepAt(25);
    const code = codeAt(secret, env);
    const signedIn = await startLogin(env, email);
    expect((await verify(signedIn, { code })).status).toBe(200);
    env.clock.advance(10); // the next step started 5 s ago; the used code is still within the window
    const res = await verify(await startLogin(env, email), { code });
    expect(res.body).toEqual({ code: "INVALID_CODE", attemptsRemaining: 4, message: "The code is invalid" });
    expect((await lastEvent(userId, "TOTP_REPLAY")).detail).toMatchObject({ reason: "replay" });
    const proof = await signedIn.post("/auth/2fa/backup-codes", { password: PASSWORD, code });
    expect(proof.body).toMatchObject({ reason: "replay", retryInSeconds: 0, message: "This code was already used. Enter the new code your app shows" });
  });

  test("as proof for new backup codes, right after logging in with it: replay with retryInSeconds, {sameBrowser: true, during}", async () => {
    const { email, secret, userId } = await clientWith2FA(env);
    toNextStepAt(5);
    const code = codeAt(secret, env);
    const client = await startLogin(env, email);
    expect((await verify(client, { code })).status).toBe(200);
    const res = await client.post("/auth/2fa/backup-codes", { password: PASSWORD, code });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "INVALID_CODE", reason: "replay", retryInSeconds: 25, attemptsRemaining: 4 });
    expect((await lastEvent(userId, "TOTP_REPLAY")).detail).toMatchObject({ during: "backup_codes", reason: "replay", sameBrowser: true });
  });
});

describe("a phone whose clock is off by 2–10 steps is told by how much — after the login, never before it (rule 19); the code is never accepted and still charged", () => {
  test("at login: 4 steps behind → a plain INVALID_CODE (no reason, no driftSeconds), audited with the drift; the successful login then says 'about 2 minutes slow'", async () => {
    const { email, secret, userId } = await clientWith2FA(env);
    const client = await startLogin(env, email);
    const slow = codeAt(secret, env, -4);
    const res = await verify(client, { code: slow });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: "INVALID_CODE", attemptsRemaining: 4, message: "The code is invalid" });
    expect((await lastEvent(userId, "TWOFA_VERIFY_FAILURE")).detail).toMatchObject({ method: "totp", reason: "clock_drift", driftSeconds: -120 });
    // never accepted: the same code again is refused again, and counted again
    expect((await verify(client, { code: slow })).body).toEqual({ code: "INVALID_CODE", attemptsRemaining: 3, message: "The code is invalid" });
    const ok = await verify(client, { code: codeAt(secret, env) });
    expect(ok.status).toBe(200);
    expect(ok.body.clockDrift).toEqual({ driftSeconds: -120, message: "Your authenticator's clock is about 2 minutes slow: set the phone's time to automatic" });
  });

  test("a login without refused drifted codes says nothing about the clock", async () => {
    const { email, secret } = await clientWith2FA(env);
    const client = await startLogin(env, email);
    expect((await verify(client, { code: "000000" === codeAt(secret, env) ? "111111" : "000000" })).status).toBe(400);
    const ok = await verify(client, { code: codeAt(secret, env) });
    expect(ok.status).toBe(200);
    expect(ok.body.clockDrift).toBeUndefined();
  });

  test.each([
    [+2, 60, "about 1 minute fast"],
    [+3, 90, "about a minute and a half fast"],
    [-5, -150, "about 2 and a half minutes slow"],
    [-10, -300, "about 5 minutes slow"],
    [+10, 300, "about 5 minutes fast"],
  ])("%i steps away → told after the login: driftSeconds %i (%s)", async (steps, driftSeconds, words) => {
    const { email, secret } = await clientWith2FA(env);
    const client = await startLogin(env, email);
    const res = await verify(client, { code: codeAt(secret, env, steps) });
    expect(res.body.reason).toBeUndefined();
    expect(res.body.driftSeconds).toBeUndefined();
    const ok = await verify(client, { code: codeAt(secret, env) });
    expect(ok.body.clockDrift.driftSeconds).toBe(driftSeconds);
    expect(ok.body.clockDrift.message).toContain(words);
  });

  test("11 steps away is just a wrong code; one step away is within the window and accepted", async () => {
    const { email, secret } = await clientWith2FA(env);
    const far = await verify(await startLogin(env, email), { code: codeAt(secret, env, -11) });
    expect(far.body).toMatchObject({ code: "INVALID_CODE", attemptsRemaining: 4 });
    expect(far.body.reason).toBeUndefined();
    expect(far.body.driftSeconds).toBeUndefined();
    expect((await verify(await startLogin(env, email), { code: codeAt(secret, env, +1) })).status).toBe(200);
  });

  test("drift codes spend the account budget like any wrong code: the sixth answer is 429", async () => {
    const { email, secret } = await clientWith2FA(env);
    for (let i = 1; i <= 5; i++) {
      const res = await verify(await startLogin(env, email), { code: codeAt(secret, env, -3) });
      if (i < 5) expect(res.body).toEqual({ code: "INVALID_CODE", attemptsRemaining: 5 - i, message: "The code is invalid" });
      else expect(res.status).toBe(429);
    }
    expect((await verify(await startLogin(env, email), { code: codeAt(secret, env) })).status).toBe(429);
  });

  test("at setup confirmation (enable): clock_drift with driftSeconds, audited {during: enable}; 2FA stays off", async () => {
    const { client, userId } = await registeredClient(env);
    const { secret } = (await client.post("/auth/2fa/setup", {})).body;
    const res = await client.post("/auth/2fa/enable", { token: generateTotp(secret, env.clock.now() - 4 * 30_000) });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "INVALID_CODE", reason: "clock_drift", driftSeconds: -120, attemptsRemaining: 4 });
    expect(res.body.message).toContain("about 2 minutes slow");
    expect((await lastEvent(userId, "TWOFA_VERIFY_FAILURE")).detail).toEqual({ during: "enable", method: "totp", reason: "clock_drift", driftSeconds: -120 });
    expect((await client.get("/auth/me")).body.twoFactorEnabled).toBe(false);
    // a plain wrong code at enable still reads as one, and says where it happened
    const wrong = await client.post("/auth/2fa/enable", { token: generateTotp(secret, env.clock.now() + 40 * 30_000) });
    expect(wrong.body.reason).toBeUndefined();
    expect((await lastEvent(userId, "TWOFA_VERIFY_FAILURE")).detail).toEqual({ during: "enable", method: "totp" });
  });

  test("on a proof (disable with the password and a drifted code): clock_drift, 2FA stays on", async () => {
    const { client, secret, userId } = await clientWith2FA(env);
    const res = await client.post("/auth/2fa/disable", { password: PASSWORD, code: codeAt(secret, env, +6) });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "INVALID_CODE", reason: "clock_drift", driftSeconds: 180, attemptsRemaining: 4 });
    expect(res.body.message).toContain("about 3 minutes fast");
    expect((await lastEvent(userId, "TWOFA_VERIFY_FAILURE")).detail).toMatchObject({ during: "disable", reason: "clock_drift" });
    expect((await twoFactorOn(env, userId))).toBe(true);
  });
});

describe("a spent backup code says it was already used", () => {
  test("at login: 400 backup_code_used; an unknown code has no reason", async () => {
    const { email, backupCodes } = await clientWith2FA(env);
    expect((await verify(await startLogin(env, email), { backupCode: backupCodes[0] })).status).toBe(200);
    const res = await verify(await startLogin(env, email), { backupCode: backupCodes[0] });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      code: "INVALID_CODE",
      reason: "backup_code_used",
      attemptsRemaining: 4,
      message: "This backup code was already used. Each backup code works once: try another one",
    });
    const unknown = await verify(await startLogin(env, email), { backupCode: "zzzz-zzzz" });
    expect(unknown.body).toMatchObject({ code: "INVALID_CODE", attemptsRemaining: 3 });
    expect(unknown.body.reason).toBeUndefined();
  });

  test("another account's spent code is not 'already used' here", async () => {
    const a = await clientWith2FA(env);
    const b = await clientWith2FA(env);
    expect((await verify(await startLogin(env, a.email), { backupCode: a.backupCodes[0] })).status).toBe(200);
    const res = await verify(await startLogin(env, b.email), { backupCode: a.backupCodes[0] });
    expect(res.body.reason).toBeUndefined();
  });
});

describe("security events: one transaction's events list in a stable order, every id sortable", () => {
  test("newAuditId grows with every call, even within one millisecond", () => {
    const ids = Array.from({ length: 5000 }, () => newAuditId(1_700_000_000_000));
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test("a backup-code login: BACKUP_CODE_USED, LOGIN_SUCCESS, TWOFA_VERIFY_SUCCESS (one transaction) come newest-written first, every time", async () => {
    const { email, backupCodes, userId } = await clientWith2FA(env);
    for (const backupCode of backupCodes.slice(0, 3)) {
      const client = await startLogin(env, email);
      expect((await verify(client, { backupCode })).status).toBe(200);
      const { events } = (await client.get("/auth/security-events?limit=3")).body as { events: { id: string; type: string; createdAt: string }[] };
      expect(events.map((e) => e.type)).toEqual(["BACKUP_CODE_USED", "LOGIN_SUCCESS", "TWOFA_VERIFY_SUCCESS"]);
      // the two written by one statement share createdAt (the transaction's now()): the id decides
      expect(events[1].createdAt).toBe(events[2].createdAt);
    }
    const all = await env.db.auditEvent.findMany({ where: { userId }, select: { id: true } });
    for (const { id } of all) expect(id).toMatch(UUID_V7);
  });
});

describe("setup returns the same secret while the pending one is valid", () => {
  test("a second setup (a reload) gets the same secret and URL, audited {resumed: true}; enable works with it", async () => {
    const { client, userId } = await registeredClient(env);
    const first = await client.post("/auth/2fa/setup", {});
    env.clock.advance(60);
    const again = await client.post("/auth/2fa/setup", {});
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const started = await env.db.auditEvent.findMany({ where: { userId, type: "TWOFA_SETUP_STARTED" }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
    expect(started.map((e) => e.detail)).toEqual([null, { resumed: true }]);
    const enable = await client.post("/auth/2fa/enable", { token: generateTotp(first.body.secret, env.clock.now()) });
    expect(enable.status).toBe(200);
  });

  test("each setup keeps the secret alive for the TTL from then; once it has expired, a new secret", async () => {
    const { client } = await registeredClient(env);
    const first = (await client.post("/auth/2fa/setup", {})).body.secret;
    env.clock.advance(800);
    expect((await client.post("/auth/2fa/setup", { password: PASSWORD })).body.secret).toBe(first);
    env.clock.advance(800); // 1600 s after the first setup, 800 s after the second: still valid
    expect((await client.post("/auth/2fa/setup", { password: PASSWORD })).body.secret).toBe(first);
    env.clock.advance(901);
    expect((await client.post("/auth/refresh")).status).toBe(200); // the access token outlived its 15 min
    const fresh = (await client.post("/auth/2fa/setup", { password: PASSWORD })).body.secret;
    expect(fresh).toMatch(/^[A-Z2-7]{32}$/);
    expect(fresh).not.toBe(first);
  });

  test("two concurrent setups (two tabs) get one secret", async () => {
    const { client } = await registeredClient(env);
    const [a, b] = await Promise.all([client.post("/auth/2fa/setup", {}), client.post("/auth/2fa/setup", {})]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.secret).toBe(b.body.secret);
  });

  test("after 2FA was turned off, setup issues a new secret (the old one is gone)", async () => {
    const { client, secret } = await clientWith2FA(env);
    expect((await client.post("/auth/2fa/disable", { password: PASSWORD, code: codeAt(secret, env) })).status).toBe(200);
    const setup = await client.post("/auth/2fa/setup", { password: PASSWORD });
    expect(setup.status).toBe(200);
    expect(setup.body.secret).not.toBe(secret);
  });
});
