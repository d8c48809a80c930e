// Signing in with a passkey alone (issue 20), through HTTP against PostgreSQL with a software
// authenticator (test/support/fake-authenticator.ts). Written as the attacker: another user's
// credential, a replayed assertion, one assertion raced (at one challenge and at two), an unknown
// credential id (answered like a wrong signature), no user verification, a foreign origin, an
// assertion made for a challenge of another purpose, a locked account, and the budgets.
import crypto from "node:crypto";
import { Client, clientWith2FA, PASSWORD, readCookie, registeredClient, startLogin, startTestApp, stepUp, type TestEnv } from "./harness";
import { FakeAuthenticator } from "./support/fake-authenticator";
import { addPasskey, newAuthenticator, passkeyOptions } from "./support/passkeys";

let env: TestEnv;
beforeAll(async () => {
  env = await startTestApp();
});
afterAll(() => env.close());

const budgetOf = async (userId: string) => (await env.db.user.findUniqueOrThrow({ where: { id: userId }, select: { twoFactorFailedAttempts: true } })).twoFactorFailedAttempts;
const passkeySessions = (userId: string) => env.db.session.count({ where: { userId, authMethod: "passkey" } });
const handleOf = (userId: string) => Buffer.from(userId, "utf8").toString("base64url");

/** An account (password only) that adds a discoverable passkey as its first factor. */
async function userWithPasskey(key: FakeAuthenticator = newAuthenticator(env, { discoverable: true })) {
  const { client, email, userId } = await registeredClient(env);
  const res = await addPasskey(client, key, "Phone");
  if (res.status !== 201) throw new Error(`add passkey: ${res.status} ${JSON.stringify(res.body)}`);
  env.clock.advance(1);
  return { client, email, userId, key, passkeyId: res.body.passkey.id as string };
}

/** A new browser that asked for sign-in options: its options and its passkey_login cookie. */
async function signInOptions(ip?: string) {
  const browser = await new Client(env.app, ip).init();
  const res = await browser.post("/auth/passkey/options");
  if (res.status !== 200) throw new Error(`options: ${res.status} ${JSON.stringify(res.body)}`);
  return { browser, options: res.body as { challenge: string; allowCredentials: unknown[]; userVerification: string; rpId: string }, setCookie: res.headers["set-cookie"] as unknown as string[] };
}

const login = (browser: Client, response: object) => browser.post("/auth/passkey/login", { response });

describe("signing in with a passkey alone", () => {
  test("a discoverable passkey with UV signs in without the password: a passkey session that /auth/me accepts, audited, emailed, device cookie, counter moved", async () => {
    const { userId, key, passkeyId } = await userWithPasskey(newAuthenticator(env, { discoverable: true, counter: 5 }));
    const { browser, options, setCookie } = await signInOptions();
    expect(options).toMatchObject({ rpId: env.config.webauthn.rpId, allowCredentials: [], userVerification: "required", challenge: expect.any(String) });
    const cookieLine = setCookie.find((c) => c.startsWith("passkey_login="))!;
    expect(cookieLine).toMatch(/HttpOnly/i);
    expect(cookieLine).toMatch(/Path=\/auth\/passkey/);
    expect(await env.db.passkeyLoginChallenge.count({ where: { challenge: options.challenge } })).toBe(1);

    const res = await login(browser, key.authenticate(options, { userHandle: handleOf(userId) })).set("User-Agent", "Passkey Browser/1.0");
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: userId, twoFactorEnabled: true });
    expect(readCookie(res.headers["set-cookie"], "access_token")).toBeTruthy();
    expect(readCookie(res.headers["set-cookie"], "device")).toBeTruthy();
    expect(res.headers["set-cookie"]).toEqual(expect.arrayContaining([expect.stringMatching(/^passkey_login=;/)]));
    const me = await browser.get("/auth/me");
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(userId);

    const sessions = await env.db.session.findMany({ where: { userId, authMethod: "passkey" } });
    expect(sessions).toHaveLength(1);
    const events = await env.db.auditEvent.findMany({ where: { userId, type: "LOGIN_SUCCESS" } });
    expect(events.map((e) => e.detail)).toContainEqual({ method: "passkey", passwordless: true, passkeyId });
    expect(await env.db.mailOutbox.count({ where: { userId, template: "new_device_sign_in" } })).toBe(1);
    const stored = await env.db.passkey.findUniqueOrThrow({ where: { id: passkeyId } });
    expect(stored.counter).toBe(6n);
    expect(stored.lastUsedAt).not.toBeNull();
    expect(await env.db.passkeyLoginChallenge.count({ where: { challenge: options.challenge } })).toBe(0);
  });

  test("the list marks which passkeys can sign in alone: credProps rk true → true; false or not reported (older keys) → false", async () => {
    const { client, userId } = await userWithPasskey(newAuthenticator(env, { discoverable: true }));
    const first = await env.db.passkey.findFirstOrThrow({ where: { userId } });
    expect(first.discoverable).toBe(true);
    await env.db.passkey.create({ data: { userId, credentialId: crypto.randomBytes(16).toString("base64url"), publicKey: Buffer.alloc(1), deviceType: "singleDevice", backedUp: false, aaguid: "x", name: "Old key" } });
    await env.db.passkey.create({ data: { userId, credentialId: crypto.randomBytes(16).toString("base64url"), publicKey: Buffer.alloc(1), deviceType: "singleDevice", backedUp: false, aaguid: "x", name: "Server-side key", discoverable: false } });
    const list = await client.get("/auth/2fa/passkeys");
    expect(list.status).toBe(200);
    expect(list.body.passkeys.map((p: { name: string; signInWithoutPassword: boolean }) => [p.name, p.signInWithoutPassword])).toEqual([
      ["Phone", true],
      ["Old key", false],
      ["Server-side key", false],
    ]);
  });

  test("registration options ask for credProps", async () => {
    const { client } = await registeredClient(env);
    const options = await client.post("/auth/2fa/passkeys/registration-options", {});
    expect(options.status).toBe(200);
    expect(options.body.extensions).toMatchObject({ credProps: true });
  });
});

describe("the attacker", () => {
  test("another user's credential: user A's userHandle with user B's credential and a wrong signature is refused, counted on B (the credential's owner), no session", async () => {
    const a = await userWithPasskey();
    const b = await userWithPasskey();
    const { browser, options } = await signInOptions();
    const forged = b.key.authenticate(options, { userHandle: handleOf(a.userId), signWith: a.key.privateKey });
    const res = await login(browser, forged);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: "PASSKEY_FAILED", message: expect.any(String) });
    expect(await passkeySessions(a.userId)).toBe(0);
    expect(await passkeySessions(b.userId)).toBe(0);
    expect(await budgetOf(b.userId)).toBe(1);
    expect(await budgetOf(a.userId)).toBe(0);
  });

  test("a valid assertion of user B's key carrying user A's userHandle is refused: the user comes from the credential, and the handle must match it", async () => {
    const a = await userWithPasskey();
    const b = await userWithPasskey();
    const { browser, options } = await signInOptions();
    const res = await login(browser, b.key.authenticate(options, { userHandle: handleOf(a.userId) }));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: "PASSKEY_FAILED", message: expect.any(String) });
    expect(await passkeySessions(a.userId)).toBe(0);
    expect(await passkeySessions(b.userId)).toBe(0);
    expect(await budgetOf(b.userId)).toBe(1);
  });

  test("a replayed assertion is refused: again at the same (spent) challenge, and at a fresh challenge of the same browser", async () => {
    const { userId, key } = await userWithPasskey();
    const { browser, options } = await signInOptions();
    const assertion = key.authenticate(options);
    const cookie = (await browser.agent.jar.getCookie("passkey_login", { domain: "127.0.0.1", path: "/auth/passkey", secure: false, script: false }))!.value;
    expect((await login(browser, assertion)).status).toBe(200);
    // the cookie is cleared by the answer: put it back as a replaying attacker would
    browser.agent.jar.setCookie(`passkey_login=${cookie}; Path=/auth/passkey`, "127.0.0.1", "/");
    const again = await login(browser, assertion);
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "challenge" });
    expect((await browser.post("/auth/passkey/options")).status).toBe(200);
    const fresh = await login(browser, assertion);
    expect(fresh.status).toBe(400);
    expect(fresh.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "challenge" });
    expect(await passkeySessions(userId)).toBe(1);
  });

  test("one assertion sent 6 times at once from one browser: exactly one session", async () => {
    const { userId, key } = await userWithPasskey(); // counter 0: only the single-use challenge decides
    const { browser, options } = await signInOptions();
    const assertion = key.authenticate(options);
    const answers = await Promise.all(Array.from({ length: 6 }, () => login(browser, assertion)));
    expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of answers.filter((x) => x.status !== 200)) expect(r.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "challenge" });
    expect(await passkeySessions(userId)).toBe(1);
  });

  test("one assertion sent at two challenges at once (two browsers that each asked for options): only the browser whose challenge it answers gets a session", async () => {
    const { userId, key } = await userWithPasskey(newAuthenticator(env, { discoverable: true, counter: 1 }));
    const one = await signInOptions();
    const two = await signInOptions();
    const assertion = key.authenticate(one.options);
    const [r1, r2] = await Promise.all([login(one.browser, assertion), login(two.browser, assertion)]);
    expect(r1.status).toBe(200);
    expect(r2.status).toBe(400);
    expect(r2.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "challenge" });
    expect(await passkeySessions(userId)).toBe(1);
    // the second browser's cookie is spent by its failed answer: it starts again, and signs in
    const again = await two.browser.post("/auth/passkey/options");
    expect((await login(two.browser, key.authenticate(again.body))).status).toBe(200);
    expect(await passkeySessions(userId)).toBe(2);
  });

  test("another browser without the passkey_login cookie cannot use the challenge", async () => {
    const { userId, key } = await userWithPasskey();
    const { options } = await signInOptions();
    const thief = await new Client(env.app).init();
    const res = await login(thief, key.authenticate(options));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "challenge" });
    expect(await passkeySessions(userId)).toBe(0);
  });

  test("a credential id that does not exist gets the same status and body as a wrong signature", async () => {
    const { userId, key } = await userWithPasskey();
    const stranger = newAuthenticator(env, { discoverable: true });
    const unknown = await signInOptions();
    const forged = await signInOptions();
    const r1 = await login(unknown.browser, stranger.authenticate(unknown.options));
    const r2 = await login(forged.browser, key.authenticate(forged.options, { signWith: stranger.privateKey }));
    expect(r1.status).toBe(400);
    expect(r2.status).toBe(400);
    expect(r1.body).toEqual(r2.body);
    expect(r1.body).toEqual({ code: "PASSKEY_FAILED", message: expect.any(String) });
    // the forged one without user verification too: nothing is told before the signature verified
    const noUv = await signInOptions();
    const r3 = await login(noUv.browser, key.authenticate(noUv.options, { signWith: stranger.privateKey, uv: false }));
    expect(r3.body).toEqual(r1.body);
    expect(await passkeySessions(userId)).toBe(0);
    expect(await budgetOf(userId)).toBe(2);
  });

  test("user verification off: 400 PASSKEY_FAILED {reason: user_verification} with a clear message, counted", async () => {
    const { userId, key } = await userWithPasskey();
    const { browser, options } = await signInOptions();
    const res = await login(browser, key.authenticate(options, { uv: false }));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "user_verification" });
    expect(res.body.message).toMatch(/PIN|fingerprint|verif/i);
    expect(await passkeySessions(userId)).toBe(0);
    expect(await budgetOf(userId)).toBe(1);
  });

  test("a foreign origin (or RP ID) is refused like a wrong signature, counted", async () => {
    const { userId, key } = await userWithPasskey();
    const a = await signInOptions();
    const res = await login(a.browser, key.authenticate(a.options, { origin: "https://evil.example" }));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: "PASSKEY_FAILED", message: expect.any(String) });
    const b = await signInOptions();
    expect((await login(b.browser, key.authenticate(b.options, { rpId: "evil.example" }))).body).toEqual(res.body);
    expect(await passkeySessions(userId)).toBe(0);
    expect(await budgetOf(userId)).toBe(2);
  });

  test("a counter that goes backwards is refused and audited PASSKEY_COUNTER_ROLLBACK", async () => {
    const { userId, key, passkeyId } = await userWithPasskey(newAuthenticator(env, { discoverable: true, counter: 10 }));
    const { browser, options } = await signInOptions();
    const res = await login(browser, key.authenticate(options, { counter: 3 }));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "counter_rollback" });
    const events = await env.db.auditEvent.findMany({ where: { userId, type: "PASSKEY_COUNTER_ROLLBACK" } });
    expect(events).toHaveLength(1);
    expect(events[0].detail).toMatchObject({ passkeyId, passwordless: true });
    expect(await passkeySessions(userId)).toBe(0);
    expect(await budgetOf(userId)).toBe(1);
  });

  test("an assertion made for a challenge of another purpose is refused: the login code step's, and a step-up proof's", async () => {
    const { client, email, userId, key } = await userWithPasskey();
    // the code step of a password login: POST /auth/2fa/passkey-options
    const half = await startLogin(env, email);
    const codeStep = await passkeyOptions(half);
    const a = await signInOptions();
    const r1 = await login(a.browser, key.authenticate(codeStep));
    expect(r1.status).toBe(400);
    expect(r1.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "challenge" });
    // a proof for a change of a signed-in session
    const proof = await client.post("/auth/2fa/passkeys/proof-options");
    expect(proof.status).toBe(200);
    const b = await signInOptions();
    const r2 = await login(b.browser, key.authenticate(proof.body));
    expect(r2.status).toBe(400);
    expect(r2.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "challenge" });
    expect(await passkeySessions(userId)).toBe(0);
    // and the other way round: a passwordless sign-in's assertion does not pass the code step
    const c = await signInOptions();
    const r3 = await half.post("/auth/2fa/verify-login", { passkey: key.authenticate(c.options) });
    expect(r3.status).toBe(400);
    expect(r3.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "challenge" });
  });

  test("a locked account (proof budget spent) gets 429 even with a valid assertion, and no session; the same gate stops the password login of an account without 2FA", async () => {
    const { userId, key } = await userWithPasskey();
    for (let i = 0; i < 5; i++) {
      const { browser, options } = await signInOptions();
      const res = await login(browser, key.authenticate(options, { origin: "https://evil.example" }));
      // before the signature verified nothing is told: not even that this failure locked the account
      expect(res.status).toBe(400);
    }
    expect(await budgetOf(userId)).toBe(5);
    const { browser, options } = await signInOptions();
    const res = await login(browser, key.authenticate(options));
    expect(res.status).toBe(429);
    expect(res.body.code).toBe("TOO_MANY_ATTEMPTS");
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
    expect(await passkeySessions(userId)).toBe(0);

    // the password path obeys the same gate (auth/sign-in-gate.ts): no 2FA, locked by wrong proofs
    const plain = await registeredClient(env);
    await env.db.user.update({ where: { id: plain.userId }, data: { twoFactorLockedUntil: new Date(env.clock.now() + 10 * 60_000) } });
    const pw = await (await new Client(env.app).init()).post("/auth/login", { email: plain.email, password: PASSWORD });
    expect(pw.status).toBe(429);
    expect(pw.body.code).toBe("TOO_MANY_ATTEMPTS");
  });

  test("a 2FA account with TOTP and a passkey: the passkey alone signs in (both factors), and the code step is not needed", async () => {
    const { client, userId, secret } = await clientWith2FA(env);
    const key = newAuthenticator(env, { discoverable: true });
    // adding a passkey on a 2FA account: password + code (DESIGN §6 rule 7)
    const res = await addPasskey(client, key, "Laptop", stepUp(secret, env));
    expect(res.status).toBe(201);
    const { browser, options } = await signInOptions();
    expect((await login(browser, key.authenticate(options, { userHandle: handleOf(userId) }))).status).toBe(200);
    expect((await browser.get("/auth/me")).body).toMatchObject({ id: userId, twoFactorEnabled: true });
  });

  test("malformed bodies are 400 VALIDATION_FAILED; every request counts in the /auth/login per-IP flood limit", async () => {
    const limited = await startTestApp({ env: { RATE_LIMIT_IP_MAX: "3" }, share: env });
    const browser = await new Client(limited.app, "10.99.0.7").init();
    expect((await browser.post("/auth/passkey/login", { response: { id: "x" } })).status).toBe(400);
    expect((await browser.post("/auth/passkey/options")).status).toBe(200);
    expect((await browser.post("/auth/login", { email: "nobody@example.com", password: "wrong password here" })).status).toBe(401);
    const fourth = await browser.post("/auth/passkey/options");
    expect(fourth.status).toBe(429);
    expect(fourth.body.code).toBe("TOO_MANY_REQUESTS");
    await limited.close();
  });
});

