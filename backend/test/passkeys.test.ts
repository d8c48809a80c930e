// Passkeys / security keys as a second factor (issue 13), through HTTP against PostgreSQL, with a
// software authenticator that builds real WebAuthn responses (test/support/fake-authenticator.ts).
// Written as the attacks: replays (twice, and 10 at once), another user's or session's challenge,
// another user's key, a cloned key (counter going backwards), no user verification, malformed
// bodies, and the guessing budget.
import crypto from "node:crypto";
import { renderMail } from "../src/mail/templates";
import { Client, clientWith2FA, codeAt, copyBrowser, PASSWORD, registeredClient, startLogin, startTestApp, stepUp, uniqueEmail, type TestEnv } from "./harness";
import { FakeAuthenticator } from "./support/fake-authenticator";
import { addPasskey, newAuthenticator, passkeyOptions, passkeyProof } from "./support/passkeys";

let env: TestEnv;
beforeAll(async () => {
  env = await startTestApp();
});
afterAll(() => env.close());

const key = (opts: Parameters<typeof newAuthenticator>[1] = {}) => newAuthenticator(env, opts);
const passkeysOf = (userId: string) => env.db.passkey.findMany({ where: { userId }, orderBy: { createdAt: "asc" } });
const eventsOf = (userId: string, type: string) => env.db.auditEvent.findMany({ where: { userId, type: type as never } });
const budgetOf = async (userId: string) => (await env.db.user.findUniqueOrThrow({ where: { id: userId }, select: { twoFactorFailedAttempts: true } })).twoFactorFailedAttempts;

/** A password-only account that then adds `authenticator` as its first factor. */
async function userWithPasskey(authenticator: FakeAuthenticator = key()) {
  const { client, email, userId } = await registeredClient(env);
  const res = await addPasskey(client, authenticator);
  if (res.status !== 201) throw new Error(`add passkey: ${res.status} ${JSON.stringify(res.body)}`);
  env.clock.advance(1);
  return { client, email, userId, key: authenticator, passkeyId: res.body.passkey.id as string, backupCodes: res.body.backupCodes as string[] };
}

describe("adding a passkey", () => {
  test("the first passkey (no 2FA yet) needs a recent login: REAUTH_REQUIRED after 10 minutes, a wrong password is counted, the right one renews it", async () => {
    const { client, userId } = await registeredClient(env);
    env.clock.advance(11 * 60);
    const stale = await client.post("/auth/2fa/passkeys/registration-options", {});
    expect(stale.status).toBe(401);
    expect(stale.body.code).toBe("REAUTH_REQUIRED");
    const wrong = await client.post("/auth/2fa/passkeys/registration-options", { password: "not my password at all" });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ code: "INVALID_PASSWORD", attemptsRemaining: 4 });
    const options = await client.post("/auth/2fa/passkeys/registration-options", { password: PASSWORD });
    expect(options.status).toBe(200);
    expect(options.body).toMatchObject({
      rp: { id: env.config.webauthn.rpId, name: env.config.webauthn.rpName },
      attestation: "none",
      authenticatorSelection: { userVerification: "required", residentKey: "preferred" },
      excludeCredentials: [],
    });
    expect(Buffer.from(options.body.user.id, "base64url").toString()).toBe(userId);
    // the renewed login (auth time) lets the next step through without the password
    const authenticator = key();
    expect((await client.post("/auth/2fa/passkeys", { name: "Laptop", response: authenticator.register(options.body) })).status).toBe(201);
  });

  test("the first passkey turns 2FA on: 10 backup codes, other sessions and remembered devices end, this one is re-issued; audited and emailed", async () => {
    const { client, email, userId } = await registeredClient(env);
    const otherBrowser = await new Client(env.app).init();
    expect((await otherBrowser.post("/auth/login", { email, password: PASSWORD })).status).toBe(200);
    const authenticator = key({ synced: true, transports: ["internal", "hybrid"] });
    const res = await addPasskey(client, authenticator, "  MacBook Touch ID  ");
    expect(res.status).toBe(201);
    expect(res.body.backupCodes).toHaveLength(10);
    expect(res.body.passkey).toEqual({
      id: expect.any(String),
      name: "MacBook Touch ID",
      createdAt: expect.any(String),
      lastUsedAt: null,
      deviceType: "multiDevice",
      backedUp: true,
      transports: ["internal", "hybrid"],
      signInWithoutPassword: false, // the fake browser reported no credProps
    });
    expect((await otherBrowser.get("/auth/me")).status).toBe(401);
    const me = await client.get("/auth/me");
    expect(me.status).toBe(200);
    expect(me.body.twoFactorEnabled).toBe(true);
    const [stored] = await passkeysOf(userId);
    expect(stored).toMatchObject({ credentialId: authenticator.id, counter: 0n, aaguid: "00000000-0000-0000-0000-000000000000" });
    expect(Buffer.from(stored.publicKey).equals(authenticator.cosePublicKey())).toBe(true);
    expect(await env.db.backupCode.count({ where: { userId, usedAt: null } })).toBe(10);
    expect(await eventsOf(userId, "PASSKEY_ADDED")).toEqual([expect.objectContaining({ detail: expect.objectContaining({ name: "MacBook Touch ID", firstFactor: true }) })]);
    const mail = await env.db.mailOutbox.findFirstOrThrow({ where: { userId, template: "passkey_added" } });
    const rendered = renderMail("passkey_added", mail.data as never, env.config.appUrl);
    expect(rendered.text).toContain('"MacBook Touch ID"');
    expect(rendered.text).toContain("Two-factor authentication is now on");
    // the challenge was single use
    expect(await env.db.webAuthnChallenge.count({ where: { userId } })).toBe(0);

    // a second key (2FA is on now: the password AND a second factor): no new backup codes (the
    // first ones stay valid, but for the one spent as proof), the first key is excluded
    const options = await client.post("/auth/2fa/passkeys/registration-options", { password: PASSWORD, backupCode: res.body.backupCodes[0] });
    expect(options.body.excludeCredentials).toEqual([{ id: authenticator.id, type: "public-key", transports: ["internal", "hybrid"] }]);
    const second = await client.post("/auth/2fa/passkeys", { name: "YubiKey", response: key().register(options.body) });
    expect(second.status).toBe(201);
    expect(second.body.backupCodes).toBeUndefined();
    expect(await env.db.backupCode.count({ where: { userId, usedAt: null } })).toBe(9);
    const list = await client.get("/auth/2fa/passkeys");
    expect(list.body.passkeys.map((p: { name: string }) => p.name)).toEqual(["MacBook Touch ID", "YubiKey"]);
    expect(Object.keys(list.body.passkeys[0]).sort()).toEqual(["backedUp", "createdAt", "deviceType", "id", "lastUsedAt", "name", "signInWithoutPassword", "transports"]);
  });

  test("a TOTP user adding a passkey keeps the backup codes they have", async () => {
    const { client, userId, backupCodes, secret } = await clientWith2FA(env);
    const res = await addPasskey(client, key(), "YubiKey 5C", stepUp(secret, env));
    expect(res.status).toBe(201);
    expect(res.body.backupCodes).toBeUndefined();
    expect(await env.db.backupCode.count({ where: { userId, usedAt: null } })).toBe(backupCodes.length);
  });

  test("the same credential twice (this user or another) → 409 PASSKEY_ALREADY_REGISTERED, nothing else changes", async () => {
    const { client, userId, key: authenticator, backupCodes } = await userWithPasskey();
    const again = await addPasskey(client, authenticator, "Again", { password: PASSWORD, backupCode: backupCodes[0] });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("PASSKEY_ALREADY_REGISTERED");
    const mallory = await registeredClient(env);
    expect((await addPasskey(mallory.client, authenticator)).status).toBe(409);
    expect(await passkeysOf(userId)).toHaveLength(1);
    expect(await passkeysOf(mallory.userId)).toHaveLength(0);
    // the 409 rolled back the 2FA change: Mallory's session lives, 2FA stays off
    expect((await mallory.client.get("/auth/me")).body.twoFactorEnabled).toBe(false);
  });

  test("no user verification → 400 PASSKEY_FAILED {reason: user_verification}, nothing stored", async () => {
    const { client, userId } = await registeredClient(env);
    const options = await client.post("/auth/2fa/passkeys/registration-options", {});
    const res = await client.post("/auth/2fa/passkeys", { name: "Key", response: key().register(options.body, { uv: false }) });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "user_verification" });
    expect(await passkeysOf(userId)).toHaveLength(0);
    expect((await client.get("/auth/me")).body.twoFactorEnabled).toBe(false);
  });

  test("a response to another user's or another session's challenge → PASSKEY_FAILED {reason: challenge}; the owner's challenge still works", async () => {
    const alice = await registeredClient(env);
    const bob = await registeredClient(env);
    const aliceOptions = (await alice.client.post("/auth/2fa/passkeys/registration-options", {})).body;
    await bob.client.post("/auth/2fa/passkeys/registration-options", {});
    // Bob answers Alice's challenge (e.g. a phishing page relaying it)
    const stolen = await bob.client.post("/auth/2fa/passkeys", { name: "Bob", response: key().register(aliceOptions) });
    expect(stolen.status).toBe(400);
    expect(stolen.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "challenge" });
    // Alice's other browser (another session of the same user) cannot use this session's challenge
    const aliceLaptop = await new Client(env.app).init();
    expect((await aliceLaptop.post("/auth/login", { email: alice.email, password: PASSWORD })).status).toBe(200);
    const otherSession = await aliceLaptop.post("/auth/2fa/passkeys", { name: "Laptop", response: key().register(aliceOptions) });
    expect(otherSession.status).toBe(400);
    expect(otherSession.body.reason).toBe("challenge");
    expect(await passkeysOf(bob.userId)).toHaveLength(0);
    expect(await passkeysOf(alice.userId)).toHaveLength(0);
    // and none of that spent it
    expect((await alice.client.post("/auth/2fa/passkeys", { name: "Mine", response: key().register(aliceOptions) })).status).toBe(201);
  });

  test("a replayed registration response (the challenge is single use) → PASSKEY_FAILED {reason: challenge}", async () => {
    const { client, userId } = await registeredClient(env);
    const options = (await client.post("/auth/2fa/passkeys/registration-options", {})).body;
    const response = key().register(options);
    expect((await client.post("/auth/2fa/passkeys", { name: "Key", response })).status).toBe(201);
    const replay = await client.post("/auth/2fa/passkeys", { name: "Key", response: key().register(options) });
    expect(replay.status).toBe(400);
    expect(replay.body.reason).toBe("challenge");
    expect(await passkeysOf(userId)).toHaveLength(1);
  });

  test("an expired or replaced challenge is refused", async () => {
    const { client } = await registeredClient(env);
    const old = (await client.post("/auth/2fa/passkeys/registration-options", {})).body;
    const fresh = (await client.post("/auth/2fa/passkeys/registration-options", {})).body;
    expect((await client.post("/auth/2fa/passkeys", { name: "Key", response: key().register(old) })).body.reason).toBe("challenge");
    env.clock.advance(5 * 60 + 1);
    expect((await client.post("/auth/2fa/passkeys", { name: "Key", response: key().register(fresh) })).body.reason).toBe("challenge");
  });

  test("malformed bodies → 400 VALIDATION_FAILED, nothing stored, nothing counted, the challenge still usable", async () => {
    const { client, userId } = await registeredClient(env);
    const options = (await client.post("/auth/2fa/passkeys/registration-options", {})).body;
    const good = key().register(options);
    const bodies: unknown[] = [
      {},
      { name: "Key" },
      { name: "", response: good },
      { name: "x".repeat(65), response: good },
      { name: "Key\u0007", response: good },
      { name: "Key", response: "a string" },
      { name: "Key", response: { ...good, id: "not base64url!" } },
      { name: "Key", response: { ...good, rawId: "AAAA" } },
      { name: "Key", response: { ...good, type: "password" } },
      { name: "Key", response: { ...good, response: { ...good.response, clientDataJSON: undefined } } },
      { name: "Key", response: { ...good, response: { ...good.response, clientDataJSON: Buffer.from("hello").toString("base64url") } } },
      { name: "Key", response: { ...good, response: { ...good.response, attestationObject: Buffer.from("not cbor").toString("base64url") } } },
      { name: "Key", response: { ...good, response: { ...good.response, transports: ["usb", "<script>"] } } },
      { name: "Key", response: { ...good, response: { ...good.response, attestationObject: "A".repeat(6001) } } },
    ];
    for (const body of bodies) {
      const res = await client.post("/auth/2fa/passkeys", body as object);
      expect([res.status, res.body.code]).toEqual([400, "VALIDATION_FAILED"]);
    }
    expect(await passkeysOf(userId)).toHaveLength(0);
    expect(await budgetOf(userId)).toBe(0);
    expect((await client.post("/auth/2fa/passkeys", { name: "Key", response: good })).status).toBe(201);
  });
});

describe("signing in with a passkey", () => {
  test("alone at the code step: options list the user's keys, the session says passkey, counter and lastUsedAt move", async () => {
    const authenticator = key({ counter: 1 });
    const { email, userId, passkeyId } = await userWithPasskey(authenticator);
    const login = await new Client(env.app).init();
    const first = await login.post("/auth/login", { email, password: PASSWORD });
    expect(first.body.requires2FA).toBe(true);
    if (first.body.methods) expect(first.body.methods).toEqual(["passkey", "backup_code"]);
    const options = await passkeyOptions(login);
    expect(options).toMatchObject({ userVerification: "required", allowCredentials: [{ id: authenticator.id, type: "public-key" }] });
    const res = await login.post("/auth/2fa/verify-login", { passkey: authenticator.authenticate(options) });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ email, twoFactorEnabled: true });
    expect((await login.get("/auth/me")).status).toBe(200);
    const sessions = (await login.get("/auth/sessions")).body.sessions as { current: boolean; authMethod: string }[];
    expect(sessions.find((s) => s.current)?.authMethod).toBe("passkey");
    const stored = await env.db.passkey.findUniqueOrThrow({ where: { id: passkeyId } });
    expect(stored.counter).toBe(2n);
    expect(stored.lastUsedAt?.getTime()).toBe(env.clock.now());
    expect(await eventsOf(userId, "LOGIN_SUCCESS")).toEqual(expect.arrayContaining([expect.objectContaining({ detail: expect.objectContaining({ method: "passkey" }) })]));
  });

  test("passkey-options: without a twofa_token 401 SESSION_EXPIRED; a user without passkeys 400 PASSKEY_NOT_REGISTERED", async () => {
    const anonymous = await new Client(env.app).init();
    const res = await anonymous.post("/auth/2fa/passkey-options");
    expect([res.status, res.body.code]).toEqual([401, "SESSION_EXPIRED"]);
    const { email } = await clientWith2FA(env);
    const login = await startLogin(env, email);
    const none = await login.post("/auth/2fa/passkey-options");
    expect([none.status, none.body.code]).toEqual([400, "PASSKEY_NOT_REGISTERED"]);
  });

  test("a user with TOTP and a passkey can use either", async () => {
    const { client, email, secret } = await clientWith2FA(env);
    const authenticator = key();
    expect((await addPasskey(client, authenticator, "YubiKey 5C", stepUp(secret, env))).status).toBe(201);
    env.clock.advance(30);
    const byKey = await startLogin(env, email);
    expect((await byKey.post("/auth/2fa/verify-login", { passkey: authenticator.authenticate(await passkeyOptions(byKey)) })).status).toBe(200);
    const byCode = await startLogin(env, email);
    expect((await byCode.post("/auth/2fa/verify-login", { code: codeAt(secret, env) })).status).toBe(200);
  });

  test("user verification flag missing → 400 PASSKEY_FAILED {reason: user_verification, attemptsRemaining}, counted", async () => {
    const { email, userId, key: authenticator } = await userWithPasskey();
    const login = await startLogin(env, email);
    const res = await login.post("/auth/2fa/verify-login", { passkey: authenticator.authenticate(await passkeyOptions(login), { uv: false }) });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "user_verification", attemptsRemaining: 4 });
    expect(await budgetOf(userId)).toBe(1);
    expect(await eventsOf(userId, "TWOFA_VERIFY_FAILURE")).toEqual([expect.objectContaining({ detail: expect.objectContaining({ method: "passkey", reason: "user_verification" }) })]);
  });

  test("a counter going backwards (a cloned key) → refused, audited PASSKEY_COUNTER_ROLLBACK, counted; the real key still works", async () => {
    const authenticator = key({ counter: 5 });
    const { email, userId, passkeyId } = await userWithPasskey(authenticator);
    const first = await startLogin(env, email);
    expect((await first.post("/auth/2fa/verify-login", { passkey: authenticator.authenticate(await passkeyOptions(first)) })).status).toBe(200);
    expect((await env.db.passkey.findUniqueOrThrow({ where: { id: passkeyId } })).counter).toBe(6n);
    for (const counter of [3, 6]) {
      const clone = await startLogin(env, email);
      const res = await clone.post("/auth/2fa/verify-login", { passkey: authenticator.authenticate(await passkeyOptions(clone), { counter }) });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "counter_rollback" });
    }
    expect(await eventsOf(userId, "PASSKEY_COUNTER_ROLLBACK")).toHaveLength(2);
    expect(await budgetOf(userId)).toBe(2);
    expect((await env.db.passkey.findUniqueOrThrow({ where: { id: passkeyId } })).counter).toBe(6n);
    const real = await startLogin(env, email);
    expect((await real.post("/auth/2fa/verify-login", { passkey: authenticator.authenticate(await passkeyOptions(real)) })).status).toBe(200);
  });

  test("a replayed assertion: the same response twice → the second is 401 SESSION_EXPIRED", async () => {
    const { email, key: authenticator } = await userWithPasskey();
    const login = await startLogin(env, email);
    const stolenCookies = copyBrowser(login);
    const assertion = authenticator.authenticate(await passkeyOptions(login));
    expect((await login.post("/auth/2fa/verify-login", { passkey: assertion })).status).toBe(200);
    const replay = await stolenCookies.post("/auth/2fa/verify-login", { passkey: assertion });
    expect([replay.status, replay.body.code]).toEqual([401, "SESSION_EXPIRED"]);
    // and on another login of the same user it answers the wrong challenge
    const other = await startLogin(env, email);
    await passkeyOptions(other);
    const elsewhere = await other.post("/auth/2fa/verify-login", { passkey: assertion });
    expect(elsewhere.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "challenge" });
  });

  test("10 concurrent copies of one assertion: exactly one 200", async () => {
    const { email, userId, key: authenticator } = await userWithPasskey(key({ counter: 1 }));
    const login = await startLogin(env, email);
    const assertion = authenticator.authenticate(await passkeyOptions(login));
    const browsers = Array.from({ length: 10 }, () => copyBrowser(login));
    const results = await Promise.all(browsers.map((b) => b.post("/auth/2fa/verify-login", { passkey: assertion })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 200)) expect(r.status).toBeGreaterThanOrEqual(400);
    expect(await env.db.session.count({ where: { userId, authMethod: "passkey" } })).toBe(1);
  });

  test("the same assertion, and the same passkey proof, sent to two instances at once: exactly one is accepted", async () => {
    const second = await startTestApp({ share: env });
    try {
      // the code step: copies of one login's cookies + assertion, half on each instance
      const { email, userId, key: authenticator } = await userWithPasskey(key({ counter: 1 }));
      const login = await startLogin(env, email);
      const assertion = authenticator.authenticate(await passkeyOptions(login));
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => copyBrowser(login, i % 2 ? second.app : env.app).post("/auth/2fa/verify-login", { passkey: assertion })),
      );
      expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
      for (const r of answers.filter((r) => r.status !== 200)) expect([400, 401]).toContain(r.status);
      expect(await env.db.session.count({ where: { userId, authMethod: "passkey" } })).toBe(1);

      // a passkey as proof (new backup codes): the session's one proof challenge, used on both instances
      const session = await startLogin(env, email);
      const signedIn = await session.post("/auth/2fa/verify-login", { passkey: authenticator.authenticate(await passkeyOptions(session)) });
      expect(signedIn.status).toBe(200);
      const proof = await passkeyProof(session, authenticator);
      const regenerations = await Promise.all([session, copyBrowser(session, second.app)].map((c) => c.post("/auth/2fa/backup-codes", { password: PASSWORD, passkey: proof })));
      expect(regenerations.filter((r) => r.status === 200)).toHaveLength(1);
      // the other one finds the challenge taken — or, if it came after the winner committed, its
      // session's tokens already replaced (the change re-issued them)
      const loser = regenerations.find((r) => r.status !== 200)!;
      expect([loser.status, loser.body.code, loser.body.reason]).toEqual(loser.status === 401 ? [401, "UNAUTHENTICATED", undefined] : [400, "PASSKEY_FAILED", "challenge"]);
      expect(await eventsOf(userId, "BACKUP_CODES_REGENERATED")).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  test("another user's passkey at this user's code step → PASSKEY_FAILED {reason: unknown_credential}, counted", async () => {
    const alice = await userWithPasskey();
    const bob = await userWithPasskey();
    const login = await startLogin(env, alice.email);
    const res = await login.post("/auth/2fa/verify-login", { passkey: bob.key.authenticate(await passkeyOptions(login)) });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "unknown_credential", attemptsRemaining: 4 });
    expect(await budgetOf(alice.userId)).toBe(1);
    expect(await budgetOf(bob.userId)).toBe(0);
  });

  test("verify-login {passkey} without passkey-options first, or with the options of an older request → reason challenge", async () => {
    const { email, key: authenticator } = await userWithPasskey();
    const login = await startLogin(env, email);
    const unasked = await login.post("/auth/2fa/verify-login", { passkey: authenticator.authenticate({ challenge: crypto.randomBytes(32).toString("base64url") }) });
    expect(unasked.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "challenge" });
    const older = await passkeyOptions(login);
    await passkeyOptions(login); // a newer one replaces it
    expect((await login.post("/auth/2fa/verify-login", { passkey: authenticator.authenticate(older) })).body.reason).toBe("challenge");
  });

  test("malformed passkey bodies at the code step → 400 VALIDATION_FAILED, not counted", async () => {
    const { email, userId, key: authenticator } = await userWithPasskey();
    const login = await startLogin(env, email);
    const good = authenticator.authenticate(await passkeyOptions(login));
    for (const passkey of [
      "string",
      {},
      { ...good, id: "" },
      { ...good, response: { ...good.response, signature: "%%%" } },
      { ...good, response: { ...good.response, authenticatorData: "AAAA" } },
      { ...good, response: { ...good.response, clientDataJSON: Buffer.from("[]").toString("base64url") } },
    ]) {
      const res = await login.post("/auth/2fa/verify-login", { passkey });
      expect([res.status, res.body.code]).toEqual([400, "VALIDATION_FAILED"]);
    }
    expect((await login.post("/auth/2fa/verify-login", { passkey: good, code: "123456" })).status).toBe(400);
    expect(await budgetOf(userId)).toBe(0);
    expect((await login.post("/auth/2fa/verify-login", { passkey: good })).status).toBe(200);
  });

  test("budget: 5 failures across two logins lock the account → 429 even for a right assertion", async () => {
    const { email, userId, key: authenticator } = await userWithPasskey();
    const first = await startLogin(env, email);
    const firstOptions = await passkeyOptions(first);
    for (let i = 0; i < 3; i++) expect((await first.post("/auth/2fa/verify-login", { passkey: authenticator.authenticate(firstOptions, { uv: false }) })).status).toBe(400);
    const second = await startLogin(env, email);
    const options = await passkeyOptions(second);
    expect((await second.post("/auth/2fa/verify-login", { passkey: authenticator.authenticate(options, { uv: false }) })).status).toBe(400);
    const locking = await second.post("/auth/2fa/verify-login", { passkey: authenticator.authenticate(options, { uv: false }) });
    expect(locking.status).toBe(429);
    const right = await second.post("/auth/2fa/verify-login", { passkey: authenticator.authenticate(options) });
    expect(right.status).toBe(429);
    expect(right.headers["retry-after"]).toBeDefined();
    expect(await budgetOf(userId)).toBe(5);
    expect(await env.db.session.count({ where: { userId, authMethod: "passkey" } })).toBe(0);
  });
});

describe("managing passkeys", () => {
  test("rename: trimmed, audited; another user's id or nonsense → 404; a bad name → 400", async () => {
    const alice = await userWithPasskey();
    const bob = await userWithPasskey();
    const res = await alice.client.agent.patch(`/auth/2fa/passkeys/${alice.passkeyId}`).set("X-XSRF-TOKEN", alice.client.cookie("XSRF-TOKEN")!).send({ name: "  Work key " });
    expect(res.status).toBe(200);
    expect(res.body.passkey).toMatchObject({ id: alice.passkeyId, name: "Work key" });
    expect(await eventsOf(alice.userId, "PASSKEY_RENAMED")).toHaveLength(1);
    const patch = (client: Client, id: string, body: object) => client.agent.patch(`/auth/2fa/passkeys/${id}`).set("X-XSRF-TOKEN", client.cookie("XSRF-TOKEN")!).send(body);
    expect((await patch(bob.client, alice.passkeyId, { name: "Mine now" })).status).toBe(404);
    expect((await patch(alice.client, "does-not-exist", { name: "x" })).status).toBe(404);
    expect((await patch(alice.client, alice.passkeyId, { name: "   " })).status).toBe(400);
    expect((await env.db.passkey.findUniqueOrThrow({ where: { id: alice.passkeyId } })).name).toBe("Work key");
  });

  test("remove with password + passkey; the last factor → 2FA off, backup codes gone; audited and emailed", async () => {
    const { client, email, userId, passkeyId, key: authenticator } = await userWithPasskey();
    const otherBrowser = await startLogin(env, email);
    const passkey = await passkeyProof(client, authenticator);
    const res = await client.post(`/auth/2fa/passkeys/${passkeyId}/remove`, { password: PASSWORD, passkey });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: expect.any(String), twoFactorEnabled: false });
    expect(await passkeysOf(userId)).toHaveLength(0);
    expect(await env.db.backupCode.count({ where: { userId } })).toBe(0);
    expect((await client.get("/auth/me")).body.twoFactorEnabled).toBe(false);
    // the login half-way ended with it
    expect((await otherBrowser.post("/auth/2fa/passkey-options")).status).toBe(401);
    expect(await eventsOf(userId, "PASSKEY_REMOVED")).toEqual([expect.objectContaining({ detail: expect.objectContaining({ proof: "password+passkey", lastFactor: true }) })]);
    const mail = await env.db.mailOutbox.findFirstOrThrow({ where: { userId, template: "passkey_removed" } });
    expect(renderMail("passkey_removed", mail.data as never, env.config.appUrl).text).toContain("two-factor authentication is now off");
    // the proof's challenge was single use: the same response again finds nothing to remove
    expect((await client.post(`/auth/2fa/passkeys/${passkeyId}/remove`, { password: PASSWORD, passkey })).status).toBe(404);
  });

  test("remove with password + code (TOTP stays on) and with password + backup code", async () => {
    const { client, userId, secret, backupCodes } = await clientWith2FA(env);
    const one = key();
    const two = key();
    const first = (await addPasskey(client, one, "One", stepUp(secret, env))).body.passkey.id;
    const second = (await addPasskey(client, two, "Two", stepUp(secret, env))).body.passkey.id;
    env.clock.advance(30);
    const byCode = await client.post(`/auth/2fa/passkeys/${first}/remove`, { password: PASSWORD, code: codeAt(secret, env) });
    expect(byCode.status).toBe(200);
    expect(byCode.body.twoFactorEnabled).toBe(true);
    const byBackup = await client.post(`/auth/2fa/passkeys/${second}/remove`, { password: PASSWORD, backupCode: backupCodes[0] });
    expect(byBackup.status).toBe(200);
    expect(byBackup.body.twoFactorEnabled).toBe(true);
    expect(await passkeysOf(userId)).toHaveLength(0);
    expect(await env.db.backupCode.count({ where: { userId, usedAt: null } })).toBe(backupCodes.length - 1);
  });

  test("remove: a wrong password or a wrong second proof is counted and removes nothing; another user's key → 404; a part missing → 400", async () => {
    const alice = await userWithPasskey();
    const bob = await userWithPasskey();
    const wrongPassword = await alice.client.post(`/auth/2fa/passkeys/${alice.passkeyId}/remove`, { password: "wrong password here", passkey: await passkeyProof(alice.client, alice.key) });
    expect(wrongPassword.body).toMatchObject({ code: "INVALID_PASSWORD", attemptsRemaining: 4 });
    const noUv = await alice.client.post(`/auth/2fa/passkeys/${alice.passkeyId}/remove`, { password: PASSWORD, passkey: await passkeyProof(alice.client, alice.key, { uv: false }) });
    expect(noUv.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "user_verification", attemptsRemaining: 3 });
    // Bob's key as proof for Alice's change
    const foreign = await alice.client.post(`/auth/2fa/passkeys/${alice.passkeyId}/remove`, { password: PASSWORD, passkey: await passkeyProof(alice.client, bob.key) });
    expect(foreign.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "unknown_credential" });
    expect((await bob.client.post(`/auth/2fa/passkeys/${alice.passkeyId}/remove`, { password: PASSWORD, passkey: await passkeyProof(bob.client, bob.key) })).status).toBe(404);
    expect((await alice.client.post(`/auth/2fa/passkeys/${alice.passkeyId}/remove`, { password: PASSWORD })).status).toBe(400);
    expect(await passkeysOf(alice.userId)).toHaveLength(1);
    expect(await passkeysOf(bob.userId)).toHaveLength(1);
  });

  test("a passkey proof issued to another session, or replayed, is refused with reason challenge", async () => {
    const { client, email, passkeyId, key: authenticator } = await userWithPasskey();
    const laptop = await startLogin(env, email);
    expect((await laptop.post("/auth/2fa/verify-login", { passkey: authenticator.authenticate(await passkeyOptions(laptop)) })).status).toBe(200);
    const proofForLaptop = await passkeyProof(laptop, authenticator);
    const res = await client.post(`/auth/2fa/passkeys/${passkeyId}/remove`, { password: PASSWORD, passkey: proofForLaptop });
    expect(res.body).toMatchObject({ code: "PASSKEY_FAILED", reason: "challenge" });
    expect(await passkeysOf((await client.get("/auth/me")).body.id)).toHaveLength(1);
  });

  test("a passkey is proof for other changes too: new backup codes, password change, disable", async () => {
    const { client, userId, key: authenticator } = await userWithPasskey();
    const codes = await client.post("/auth/2fa/backup-codes", { password: PASSWORD, passkey: await passkeyProof(client, authenticator) });
    expect(codes.status).toBe(200);
    expect(codes.body.backupCodes).toHaveLength(10);
    const newPassword = "a brand new passphrase for this account";
    const changed = await client.post("/auth/password/change", { currentPassword: PASSWORD, newPassword, passkey: await passkeyProof(client, authenticator) });
    expect(changed.status).toBe(200);
    const off = await client.post("/auth/2fa/disable", { password: newPassword, passkey: await passkeyProof(client, authenticator) });
    expect(off.status).toBe(200);
    expect(await passkeysOf(userId)).toHaveLength(0);
    expect((await client.get("/auth/me")).body.twoFactorEnabled).toBe(false);
  });

  test("unanswered WebAuthn challenges are pruned an hour after they expire; live ones stay", async () => {
    const { pruneLoginChallenges } = await import("../src/two-factor/prune");
    const { client, userId } = await registeredClient(env);
    expect((await client.post("/auth/2fa/passkeys/registration-options", {})).status).toBe(200);
    await pruneLoginChallenges(env.db, env.clock.now());
    expect(await env.db.webAuthnChallenge.count({ where: { userId } })).toBe(1);
    await pruneLoginChallenges(env.db, env.clock.now() + 5 * 60 * 1000 + 60 * 60 * 1000 + 1);
    expect(await env.db.webAuthnChallenge.count({ where: { userId } })).toBe(0);
  });

  test("list and manage routes need a session", async () => {
    const anonymous = await new Client(env.app).init();
    expect((await anonymous.get("/auth/2fa/passkeys")).status).toBe(401);
    expect((await anonymous.post("/auth/2fa/passkeys/registration-options", {})).status).toBe(401);
    expect((await anonymous.post("/auth/2fa/passkeys/proof-options")).status).toBe(401);
    expect(uniqueEmail()).toContain("@");
  });
});
