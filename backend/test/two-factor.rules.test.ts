// One describe per rule of DESIGN §6; each test is named after what it proves.
import jwt from "jsonwebtoken";
import request from "supertest";
import { ERROR_CODES } from "../src/http/errors";
import { generateTotp } from "../src/two-factor/totp/totp";
import { Client, clientWith2FA, codeAt, PASSWORD, registeredClient, startLogin, startTestApp, TEST_ENV, twoFactorOn, twoFactorState, uniqueEmail, type TestEnv } from "./harness";

let env: TestEnv;
beforeAll(async () => {
  env = await startTestApp({ env: { LOGIN_CHALLENGE_TTL_SECONDS: "300" } });
});
afterAll(() => env.close());

const verify = (client: Client, body: object) => client.post("/auth/2fa/verify-login", body);

describe("login with 2FA: the happy path", () => {
  test("password step answers requires2FA with a twofa_token scoped to /auth/2fa and no session", async () => {
    const { email } = await clientWith2FA(env);
    const client = await new Client(env.app).init();
    const res = await client.post("/auth/login", { email, password: PASSWORD });
    expect(res.status).toBe(200);
    // which second factors the code page may offer (issue 13)
    expect(res.body).toEqual({ requires2FA: true, methods: ["totp", "backup_code"] });
    const cookies = ([] as string[]).concat(res.headers["set-cookie"]);
    const twofa = cookies.find((c) => c.startsWith("twofa_token="))!;
    expect(twofa).toMatch(/Path=\/auth\/2fa/);
    expect(twofa).toMatch(/Max-Age=300/);
    expect(twofa).toMatch(/HttpOnly/);
    expect((await client.get("/auth/me")).status).toBe(401);
  });

  test("a right code gives the session, clears the twofa_token and audits the success", async () => {
    const { email, secret, userId } = await clientWith2FA(env);
    const client = await startLogin(env, email);
    const res = await verify(client, { code: codeAt(secret, env) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: "2FA verified", user: expect.objectContaining({ email, twoFactorEnabled: true }) });
    expect(([] as string[]).concat(res.headers["set-cookie"]).find((c) => c.startsWith("twofa_token="))).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect((await client.get("/auth/me")).status).toBe(200);
    const types = (await env.db.auditEvent.findMany({ where: { userId } })).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["TWOFA_VERIFY_SUCCESS", "LOGIN_SUCCESS", "TWOFA_ENABLED", "TWOFA_SETUP_STARTED"]));
  });

  test("a code typed with a space ('123 456') is accepted", async () => {
    const { email, secret } = await clientWith2FA(env);
    const client = await startLogin(env, email);
    const code = codeAt(secret, env);
    expect((await verify(client, { code: `${code.slice(0, 3)} ${code.slice(3)}` })).status).toBe(200);
  });
});

describe("rule 1: single-use login challenge", () => {
  test("20 concurrent verify-login with one challenge and the right code → exactly one 200", async () => {
    const { email, secret } = await clientWith2FA(env);
    const client = await startLogin(env, email);
    const code = codeAt(secret, env);
    const results = await Promise.all(Array.from({ length: 20 }, () => verify(client, { code })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s >= 500)).toHaveLength(0);
    const challenges = await env.db.loginChallenge.findMany({ where: { user: { email } } });
    expect(challenges).toHaveLength(1);
    expect(challenges[0].consumedAt).not.toBeNull();
  });

  test("a used twofa_token cannot be used again, even with a new valid code", async () => {
    const { email, secret } = await clientWith2FA(env);
    const client = await startLogin(env, email);
    const token = client.cookie("twofa_token")!;
    expect((await verify(client, { code: codeAt(secret, env) })).status).toBe(200);
    env.clock.advance(30);
    const again = await request(env.app)
      .post("/auth/2fa/verify-login")
      .set("Cookie", `twofa_token=${token}; XSRF-TOKEN=${client.xsrf}`)
      .set("X-XSRF-TOKEN", client.xsrf)
      .send({ code: codeAt(secret, env) });
    expect(again.status).toBe(401);
    expect(again.body.code).toBe("SESSION_EXPIRED");
  });

  test("an expired challenge (clock +301 s) → 401 SESSION_EXPIRED", async () => {
    const { email, secret } = await clientWith2FA(env);
    const client = await startLogin(env, email);
    env.clock.advance(301);
    const res = await verify(client, { code: codeAt(secret, env) });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ code: "SESSION_EXPIRED", message: ERROR_CODES.SESSION_EXPIRED.message });
  });

  test("no twofa_token at all → 401 SESSION_EXPIRED", async () => {
    const client = await new Client(env.app).init();
    const res = await verify(client, { code: "123456" });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe("SESSION_EXPIRED");
  });
});

describe("rule 2: no code replay (RFC 6238 §5.2)", () => {
  test("a used code replayed in a new challenge is refused, audited as TOTP_REPLAY and shown in the security log", async () => {
    const { email, secret, userId } = await clientWith2FA(env);
    const code = codeAt(secret, env);
    expect((await verify(await startLogin(env, email), { code })).status).toBe(200);
    const second = await startLogin(env, email);
    const res = await verify(second, { code });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "INVALID_CODE", reason: "replay", attemptsRemaining: 4 });
    expect(await env.db.auditEvent.count({ where: { userId, type: "TOTP_REPLAY" } })).toBe(1);
    // the next step's code works on the same challenge
    env.clock.advance(30);
    expect((await verify(second, { code: codeAt(secret, env) })).status).toBe(200);
    const events = await second.get("/auth/security-events");
    expect(events.status).toBe(200);
    expect(events.body.events.map((e: { type: string }) => e.type)).toContain("TOTP_REPLAY");
  });

  test("an older step than the last accepted one is refused (step must grow)", async () => {
    const { email, secret } = await clientWith2FA(env);
    expect((await verify(await startLogin(env, email), { code: codeAt(secret, env, +1) })).status).toBe(200);
    const res = await verify(await startLogin(env, email), { code: codeAt(secret, env) });
    expect(res.status).toBe(400);
    expect(res.body.reason).toBe("replay");
  });

  test("the same code in two concurrent challenges → exactly one session", async () => {
    const { email, secret } = await clientWith2FA(env);
    const [a, b] = [await startLogin(env, email), await startLogin(env, email)];
    const code = codeAt(secret, env);
    const statuses = (await Promise.all([verify(a, { code }), verify(b, { code })])).map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
  });
});

describe("rule 3: window ±1 step, configurable, injected clock", () => {
  test("±1 step accepted, ±2 refused", async () => {
    const { email, secret } = await clientWith2FA(env);
    env.clock.advance(60); // keep the step before now newer than the one spent by enable
    const client = await startLogin(env, email);
    expect((await verify(client, { code: codeAt(secret, env, -2) })).status).toBe(400);
    expect((await verify(client, { code: codeAt(secret, env, +2) })).status).toBe(400);
    expect((await verify(client, { code: codeAt(secret, env, -1) })).status).toBe(200);
    const next = await startLogin(env, email);
    expect((await verify(next, { code: codeAt(secret, env, +1) })).status).toBe(200);
  });

  test("TOTP_WINDOW=0 accepts only the current step", async () => {
    const strict = await startTestApp({ env: { TOTP_WINDOW: "0" }, share: env });
    const { email, secret } = await clientWith2FA(strict);
    const client = await startLogin(strict, email);
    expect((await verify(client, { code: codeAt(secret, strict, -1) })).status).toBe(400);
    expect((await verify(client, { code: codeAt(secret, strict) })).status).toBe(200);
    await strict.close();
  });
});

describe("token types: no token works in another's place", () => {
  const sign = (payload: object, secret: string, opts: jwt.SignOptions = {}) =>
    jwt.sign({ iat: Math.floor(env.clock.now() / 1000), ...payload }, secret, { algorithm: "HS256", expiresIn: 300, issuer: "twofa-api", audience: "twofa-web", ...opts });

  test("an access token as twofa_token, and a twofa_token as access token, are refused", async () => {
    const { email, client: sessionClient } = await clientWith2FA(env);
    const login = await startLogin(env, email);
    const twofa = login.cookie("twofa_token")!;
    const access = sessionClient.cookie("access_token")!;
    const asAccess = await request(env.app).get("/auth/me").set("Cookie", `access_token=${twofa}`);
    expect(asAccess.status).toBe(401);
    const asTwofa = await request(env.app)
      .post("/auth/2fa/verify-login")
      .set("Cookie", `twofa_token=${access}; XSRF-TOKEN=${login.xsrf}`)
      .set("X-XSRF-TOKEN", login.xsrf)
      .send({ code: "123456" });
    expect(asTwofa.status).toBe(401);
    expect(asTwofa.body.code).toBe("SESSION_EXPIRED");
  });

  test("a refresh token is not an access token, nor the reverse", async () => {
    const { client } = await registeredClient(env);
    const refresh = client.cookie("refresh_token")!;
    const access = client.cookie("access_token")!;
    expect((await request(env.app).get("/auth/me").set("Cookie", `access_token=${refresh}`)).status).toBe(401);
    const res = await request(env.app).post("/auth/refresh").set("Cookie", `refresh_token=${access}; XSRF-TOKEN=${client.xsrf}`).set("X-XSRF-TOKEN", client.xsrf);
    expect(res.status).toBe(401);
  });

  test("right secret but wrong type claim is refused (type is checked, not only the key)", async () => {
    const { client, userId } = await registeredClient(env);
    const sid = (JSON.parse(Buffer.from(client.cookie("access_token")!.split(".")[1], "base64url").toString()) as { sid: string }).sid;
    const forged = sign({ sub: userId, sid, tv: 0, type: "refresh", auth_time: 0 }, TEST_ENV.JWT_ACCESS_SECRET);
    expect((await request(env.app).get("/auth/me").set("Cookie", `access_token=${forged}`)).status).toBe(401);
    const good = sign({ sub: userId, sid, tv: 0, type: "access", auth_time: 0 }, TEST_ENV.JWT_ACCESS_SECRET);
    expect((await request(env.app).get("/auth/me").set("Cookie", `access_token=${good}`)).status).toBe(200);
    expect(client).toBeDefined();
  });

  test("alg=none and a wrong issuer are refused", async () => {
    const { userId } = await registeredClient(env);
    const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    const body = Buffer.from(JSON.stringify({ sub: userId, tv: 0, type: "access", auth_time: 0, iss: "twofa-api", aud: "twofa-web", exp: 9999999999 })).toString("base64url");
    expect((await request(env.app).get("/auth/me").set("Cookie", `access_token=${header}.${body}.`)).status).toBe(401);
    const wrongIss = sign({ sub: userId, tv: 0, type: "access", auth_time: 0 }, TEST_ENV.JWT_ACCESS_SECRET, { issuer: "evil" });
    expect((await request(env.app).get("/auth/me").set("Cookie", `access_token=${wrongIss}`)).status).toBe(401);
  });
});

describe("rule 4: guessing budget counted in PostgreSQL", () => {
  test("wrong codes report attemptsRemaining; the 5th locks the account; then even a right code gets 429 with Retry-After", async () => {
    const { email, secret, userId } = await clientWith2FA(env);
    const client = await startLogin(env, email);
    const remaining: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await verify(client, { code: "000000" });
      expect(res.status).toBe(400);
      remaining.push(res.body.attemptsRemaining);
    }
    expect(remaining).toEqual([4, 3, 2, 1]);
    const fifth = await verify(client, { code: "000000" });
    expect(fifth.status).toBe(429);
    expect(fifth.body.code).toBe("TOO_MANY_ATTEMPTS");
    expect(Number(fifth.headers["retry-after"])).toBe(900);
    const right = await verify(await startLogin(env, email), { code: codeAt(secret, env) });
    expect(right.status).toBe(429);
    expect(Number(right.headers["retry-after"])).toBeGreaterThan(0);
    expect(await env.db.auditEvent.count({ where: { userId, type: "TWOFA_LOCKED" } })).toBe(1);
    // after the window the account is usable again
    env.clock.advance(15 * 60 + 1);
    expect((await verify(await startLogin(env, email), { code: codeAt(secret, env) })).status).toBe(200);
  });

  test("the account budget holds across two challenges and two IPs", async () => {
    const { email, secret } = await clientWith2FA(env);
    const a = await startLogin(env, email, "10.1.0.1");
    const b = await startLogin(env, email, "10.2.0.2");
    for (let i = 0; i < 3; i++) expect((await verify(a, { code: "111111" })).status).toBe(400);
    const b1 = await verify(b, { code: "111111" });
    expect(b1.body.attemptsRemaining).toBe(1);
    expect((await verify(b, { code: "111111" })).status).toBe(429);
    const c = await startLogin(env, email, "10.3.0.3");
    expect((await verify(c, { code: codeAt(secret, env) })).status).toBe(429);
  });

  test("wrong backup codes count against the same budget", async () => {
    const { email } = await clientWith2FA(env);
    const client = await startLogin(env, email);
    for (let i = 0; i < 4; i++) expect((await verify(client, { backupCode: "zzzz-zzzz" })).status).toBe(400);
    expect((await verify(client, { code: "123456" })).status).toBe(429);
  });

  test("a challenge dies after 5 wrong codes even when the account window has rolled over", async () => {
    const longTtl = await startTestApp({ env: { LOGIN_CHALLENGE_TTL_SECONDS: "3600" }, share: env });
    const { email, secret } = await clientWith2FA(longTtl);
    const client = await startLogin(longTtl, email);
    for (let i = 0; i < 3; i++) await verify(client, { code: "222222" });
    longTtl.clock.advance(16 * 60); // the account's 15-minute window is over: its count restarts
    for (let i = 0; i < 2; i++) expect((await verify(client, { code: "222222" })).status).toBe(400);
    const res = await verify(client, { code: codeAt(secret, longTtl) });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe("SESSION_EXPIRED");
    await longTtl.close();
  });

  test("concurrent wrong guesses cannot exceed the budget", async () => {
    const { email, userId } = await clientWith2FA(env);
    const clients = await Promise.all(Array.from({ length: 4 }, (_, i) => startLogin(env, email, `10.9.0.${i}`)));
    await Promise.all(clients.flatMap((c) => [verify(c, { code: "333333" }), verify(c, { code: "444444" }), verify(c, { code: "555555" })]));
    const user = await env.db.user.findUniqueOrThrow({ where: { id: userId } });
    expect(user.twoFactorLockedUntil).not.toBeNull();
    expect(user.twoFactorFailedAttempts).toBeGreaterThanOrEqual(5);
  });
});

describe("rule 4: flood limits (express-rate-limit)", () => {
  test("per IP on /auth/login → 429 TOO_MANY_REQUESTS with Retry-After", async () => {
    const limited = await startTestApp({ env: { RATE_LIMIT_IP_MAX: "3" }, share: env });
    const client = await new Client(limited.app, "10.77.0.1").init();
    for (let i = 0; i < 3; i++) expect((await client.post("/auth/login", { email: "x@example.com", password: "nope" })).status).toBe(401);
    const res = await client.post("/auth/login", { email: "x@example.com", password: "nope" });
    expect(res.status).toBe(429);
    expect(res.body.code).toBe("TOO_MANY_REQUESTS");
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
    // another IP is not affected
    expect((await (await new Client(limited.app, "10.77.0.2").init()).post("/auth/login", { email: "x@example.com", password: "nope" })).status).toBe(401);
    await limited.close();
  });

  test("per IP on /auth/2fa/*", async () => {
    const limited = await startTestApp({ env: { RATE_LIMIT_IP_MAX: "2" }, share: env });
    const client = await new Client(limited.app, "10.78.0.1").init();
    await verify(client, { code: "123456" });
    await verify(client, { code: "123456" });
    expect((await verify(client, { code: "123456" })).status).toBe(429);
    await limited.close();
  });

  test("failed logins per email, across IPs; even the right password is then refused", async () => {
    const limited = await startTestApp({ env: { RATE_LIMIT_EMAIL_FAILURES: "3" }, share: env });
    const { email } = await registeredClient(limited);
    for (let i = 0; i < 3; i++) {
      expect((await (await new Client(limited.app, `10.79.0.${i}`).init()).post("/auth/login", { email, password: "wrong password" })).status).toBe(401);
    }
    const res = await (await new Client(limited.app, "10.79.1.1").init()).post("/auth/login", { email: email.toUpperCase(), password: PASSWORD });
    expect(res.status).toBe(429);
    await limited.close();
  });
});

describe("rule 5: the server owns the secret, encrypted at rest", () => {
  test("setup stores an encrypted pending secret; no row ever holds the base32 secret", async () => {
    const { client, userId } = await registeredClient(env);
    const setup = await client.post("/auth/2fa/setup", {});
    expect(setup.status).toBe(200);
    const { secret } = setup.body;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const row = await twoFactorState(env, userId);
    expect(row.setup?.secret).toMatch(/^v1:k1:/);
    expect(row.enabled).toBe(false);
    await client.post("/auth/2fa/enable", { token: generateTotp(secret, env.clock.now()) });
    expect((await twoFactorState(env, userId)).totp?.secret).toMatch(/^v1:k1:/);
    const tables = ["User", "AuditEvent", "TotpCredential", "TotpSetup"];
    const dump = (await Promise.all(tables.map(async (t) => JSON.stringify(await env.db.$queryRawUnsafe(`SELECT * FROM "${t}"`))))).join("");
    expect(dump).not.toContain(secret);
    expect(dump).not.toMatch(/"[A-Z2-7]{32}"/);
  });

  test("enable verifies against the pending secret; a different client-sent secret is refused", async () => {
    const { client, userId } = await registeredClient(env);
    const { secret } = (await client.post("/auth/2fa/setup", {})).body;
    const attackerSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    const res = await client.post("/auth/2fa/enable", { token: generateTotp(attackerSecret, env.clock.now()), secret: attackerSecret });
    expect(res.status).toBe(400);
    expect((await twoFactorOn(env, userId))).toBe(false);
    const wrongCode = await client.post("/auth/2fa/enable", { token: generateTotp(attackerSecret, env.clock.now()) });
    expect(wrongCode.status).toBe(400);
    expect(wrongCode.body.code).toBe("INVALID_CODE");
    const ok = await client.post("/auth/2fa/enable", { token: generateTotp(secret, env.clock.now()), secret });
    expect(ok.status).toBe(200);
    expect(ok.body.message).toBe("2FA enabled");
  });

  test("enable without setup, or after the pending secret expired → 400 NO_PENDING_SETUP", async () => {
    const { client } = await registeredClient(env);
    expect((await client.post("/auth/2fa/enable", { token: "123456" })).body.code).toBe("NO_PENDING_SETUP");
    const { secret } = (await client.post("/auth/2fa/setup", {})).body;
    env.clock.advance(9 * 60);
    await client.post("/auth/refresh");
    env.clock.advance(7 * 60); // pending lifetime is 15 min
    const res = await client.post("/auth/2fa/enable", { token: generateTotp(secret, env.clock.now()), password: PASSWORD });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("NO_PENDING_SETUP");
  });

  test("setup when 2FA is already on → 409", async () => {
    const { client } = await clientWith2FA(env);
    const res = await client.post("/auth/2fa/setup", {});
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("TWOFA_ALREADY_ENABLED");
  });
});

describe("rule 6: backup codes", () => {
  test("10 codes xxxx-xxxx, stored only as keyed hashes", async () => {
    const { backupCodes, userId } = await clientWith2FA(env);
    expect(backupCodes).toHaveLength(10);
    for (const c of backupCodes) expect(c).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}$/);
    const rows = await env.db.backupCode.findMany({ where: { userId } });
    expect(rows).toHaveLength(10);
    const dump = JSON.stringify(rows);
    for (const c of backupCodes) expect(dump).not.toContain(c);
  });

  test("a backup code logs in once; used twice → refused", async () => {
    const { email, backupCodes, client, userId } = await clientWith2FA(env);
    const first = await verify(await startLogin(env, email), { backupCode: backupCodes[0].toUpperCase() });
    expect(first.status).toBe(200);
    const second = await verify(await startLogin(env, email), { backupCode: backupCodes[0] });
    expect(second.status).toBe(400);
    expect(second.body.code).toBe("INVALID_CODE");
    expect(await env.db.auditEvent.count({ where: { userId, type: "BACKUP_CODE_USED" } })).toBe(1);
    const status = await (await startLoginWithCode(email, backupCodes[1])).get("/auth/2fa/status");
    expect(status.body).toMatchObject({ enabled: true, backupCodesRemaining: 8 });
    expect(client).toBeDefined();
  });

  test("one backup code in two concurrent logins → exactly one session", async () => {
    const { email, backupCodes } = await clientWith2FA(env);
    const [a, b] = [await startLogin(env, email), await startLogin(env, email)];
    const statuses = (await Promise.all([verify(a, { backupCode: backupCodes[2] }), verify(b, { backupCode: backupCodes[2] })])).map((r) => r.status);
    expect(statuses.sort()).toEqual([200, 400]);
  });

  test("regenerating makes the old codes void and bumps tokenVersion", async () => {
    const { client, email, secret, backupCodes } = await clientWith2FA(env);
    const other = await startLoginWithCode(email, backupCodes[0]);
    const res = await client.post("/auth/2fa/backup-codes", { password: PASSWORD, code: codeAt(secret, env) });
    expect(res.status).toBe(200);
    expect(res.body.backupCodes).toHaveLength(10);
    expect(res.body.backupCodes).not.toContain(backupCodes[1]);
    expect((await verify(await startLogin(env, email), { backupCode: backupCodes[1] })).status).toBe(400);
    expect((await verify(await startLogin(env, email), { backupCode: res.body.backupCodes[0] })).status).toBe(200);
    expect((await client.get("/auth/me")).status).toBe(200);
    expect((await other.get("/auth/me")).status).toBe(401);
  });

  async function startLoginWithCode(email: string, backupCode: string) {
    const client = await startLogin(env, email);
    const res = await verify(client, { backupCode });
    if (res.status !== 200) throw new Error(`backup login failed ${res.status}`);
    return client;
  }
});

describe("rule 7: proof before 2FA changes", () => {
  test("disable needs both factors: a missing part → 400; wrong password → 401; wrong code → 400; nothing changes", async () => {
    const { client, userId, secret } = await clientWith2FA(env);
    for (const body of [{}, { password: PASSWORD }, { code: codeAt(secret, env) }, { backupCode: "abcd-efgh" }]) {
      const res = await client.post("/auth/2fa/disable", body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe("VALIDATION_FAILED");
    }
    const wrongPw = await client.post("/auth/2fa/disable", { password: "not my password", code: codeAt(secret, env) });
    expect(wrongPw.status).toBe(401);
    expect(wrongPw.body.code).toBe("INVALID_PASSWORD");
    const wrongCode = await client.post("/auth/2fa/disable", { password: PASSWORD, code: "000000" });
    expect(wrongCode.status).toBe(400);
    expect(wrongCode.body.code).toBe("INVALID_CODE");
    expect((await twoFactorOn(env, userId))).toBe(true);
  });

  test("disable with the password and a current code turns 2FA off, deletes secret and backup codes; login needs no code", async () => {
    const { client, email, userId, secret } = await clientWith2FA(env);
    const res = await client.post("/auth/2fa/disable", { password: PASSWORD, code: codeAt(secret, env) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: "2FA disabled" });
    expect(await twoFactorState(env, userId)).toMatchObject({ enabled: false, totp: null, setup: null, passkeys: 0 });
    expect(await env.db.backupCode.count({ where: { userId } })).toBe(0);
    const login = await (await new Client(env.app).init()).post("/auth/login", { email, password: PASSWORD });
    expect(login.body.user).toBeDefined();
    expect(await env.db.auditEvent.count({ where: { userId, type: "TWOFA_DISABLED" } })).toBe(1);
  });

  test("disable with the password and a backup code works (lost phone)", async () => {
    const { client, backupCodes } = await clientWith2FA(env);
    expect((await client.post("/auth/2fa/disable", { password: PASSWORD, backupCode: backupCodes[0] })).status).toBe(200);
    expect((await client.get("/auth/me")).body.twoFactorEnabled).toBe(false);
  });

  test("disable with a replayed code is refused", async () => {
    const { client, email, secret } = await clientWith2FA(env);
    const code = codeAt(secret, env);
    const other = await startLogin(env, email);
    expect((await verify(other, { code })).status).toBe(200);
    const res = await client.post("/auth/2fa/disable", { password: PASSWORD, code });
    expect(res.status).toBe(400);
    expect(res.body.reason).toBe("replay");
  });

  test("turning the first factor on: setup needs a login under 10 minutes old or the password; enable only confirms the secret that setup issued", async () => {
    const { client } = await registeredClient(env);
    env.clock.advance(11 * 60);
    await client.post("/auth/refresh"); // a refresh is not a new login
    const stale = await client.post("/auth/2fa/setup", {});
    expect(stale.status).toBe(401);
    expect(stale.body).toEqual({ code: "REAUTH_REQUIRED", needs: ["password"], message: ERROR_CODES.REAUTH_REQUIRED.message });
    expect((await client.post("/auth/2fa/setup", { password: "wrong password" })).body.code).toBe("INVALID_PASSWORD");
    // a second factor on an account that has none is not a proof of anything
    expect((await client.post("/auth/2fa/setup", { password: PASSWORD, code: "123456" })).body.code).toBe("TWOFA_NOT_ENABLED");
    const setup = await client.post("/auth/2fa/setup", { password: PASSWORD });
    expect(setup.status).toBe(200);
    // the setup was the proven step: its secret is confirmed by a code, no second proof
    env.clock.advance(2 * 60);
    expect((await client.post("/auth/2fa/enable", { token: "000000" === codeAt(setup.body.secret, env) ? "111111" : "000000" })).body.code).toBe("INVALID_CODE");
    expect((await client.post("/auth/2fa/enable", { token: codeAt(setup.body.secret, env) })).status).toBe(200);
  });

  test("with 2FA on, new backup codes need the password AND a second factor in the request, whatever the login's age: a fresh login alone, the password alone or a code alone are refused", async () => {
    const { client, secret, userId } = await clientWith2FA(env);
    const before = await env.db.backupCode.findMany({ where: { userId }, select: { codeHash: true } });
    for (const body of [{}, { password: PASSWORD }, { code: codeAt(secret, env) }]) {
      const res = await client.post("/auth/2fa/backup-codes", body);
      expect([res.status, res.body.code]).toEqual([400, "VALIDATION_FAILED"]);
    }
    expect(await env.db.backupCode.findMany({ where: { userId }, select: { codeHash: true } })).toEqual(before);
    expect((await client.post("/auth/2fa/backup-codes", { password: PASSWORD, code: codeAt(secret, env) })).status).toBe(200);
    env.clock.advance(11 * 60);
    await client.post("/auth/refresh");
    expect((await client.post("/auth/2fa/backup-codes", { password: PASSWORD, code: codeAt(secret, env) })).status).toBe(200);
  });
});

describe("rule 8: tokenVersion kills every other session when 2FA changes", () => {
  test("enable: the other session's access and refresh tokens die; the changing session lives", async () => {
    const { client, email } = await registeredClient(env);
    const other = await new Client(env.app).init();
    await other.post("/auth/login", { email, password: PASSWORD });
    const { secret } = (await client.post("/auth/2fa/setup", {})).body;
    expect((await client.post("/auth/2fa/enable", { token: codeAt(secret, env) })).status).toBe(200);
    expect((await client.get("/auth/me")).status).toBe(200);
    expect((await client.get("/auth/me")).body.twoFactorEnabled).toBe(true);
    expect((await other.get("/auth/me")).status).toBe(401);
    expect((await other.post("/auth/refresh")).status).toBe(401);
  });

  test("disable: the same", async () => {
    const { client, email, secret } = await clientWith2FA(env);
    const other = await startLogin(env, email);
    expect((await verify(other, { code: codeAt(secret, env) })).status).toBe(200);
    const oldRefresh = client.cookie("refresh_token");
    const oldXsrf = client.cookie("XSRF-TOKEN");
    env.clock.advance(30);
    expect((await client.post("/auth/2fa/disable", { password: PASSWORD, code: codeAt(secret, env) })).status).toBe(200);
    expect((await client.get("/auth/me")).status).toBe(200);
    expect((await other.get("/auth/me")).status).toBe(401);
    expect((await other.post("/auth/refresh")).status).toBe(401);
    const replayOldRefresh = await request(env.app)
      .post("/auth/refresh")
      .set("Cookie", `refresh_token=${oldRefresh}; XSRF-TOKEN=${oldXsrf}`)
      .set("X-XSRF-TOKEN", oldXsrf!);
    expect(replayOldRefresh.status).toBe(401);
  });
});

describe("rule 9: admin enforcement", () => {
  test("an ADMIN without 2FA, once the grace period is over, gets 403 TWOFA_SETUP_REQUIRED except on me, setup, enable, logout", async () => {
    const { client, userId } = await registeredClient(env);
    await env.db.user.update({ where: { id: userId }, data: { role: "ADMIN" } });
    // issue 14: TWOFA_GRACE_HOURS (48 by default) from the first request under the rule
    expect((await client.get("/auth/2fa/status")).status).toBe(200);
    env.clock.advance(48 * 3600);
    expect((await client.post("/auth/refresh")).status).toBe(200);
    const status = await client.get("/auth/2fa/status");
    expect(status.status).toBe(403);
    expect(status.body).toEqual({ code: "TWOFA_SETUP_REQUIRED", message: ERROR_CODES.TWOFA_SETUP_REQUIRED.message });
    expect((await client.get("/auth/security-events")).status).toBe(403);
    expect((await client.post("/auth/logout-all")).status).toBe(403);
    expect((await client.get("/auth/me")).body.role).toBe("ADMIN");
    // the login is two days old: setup asks for the password again (DESIGN §6.7)
    const { secret } = (await client.post("/auth/2fa/setup", { password: PASSWORD })).body;
    expect((await client.post("/auth/2fa/enable", { token: codeAt(secret, env) })).status).toBe(200);
    expect((await client.get("/auth/2fa/status")).status).toBe(200);
    expect((await client.post("/auth/logout")).status).toBe(200);
  });
});

describe("rule 10: otpauth URL (Key Uri Format with issuer)", () => {
  test("setup returns otpauth://totp/Issuer:email?secret&issuer&algorithm&digits&period", async () => {
    const { client, email } = await registeredClient(env);
    const { secret, otpauthUrl } = (await client.post("/auth/2fa/setup", {})).body;
    expect(otpauthUrl).toBe(`otpauth://totp/TwoFA:${encodeURIComponent(email)}?secret=${secret}&issuer=TwoFA&algorithm=SHA1&digits=6&period=30`);
  });
});

describe("status and security events", () => {
  test("GET /auth/2fa/status", async () => {
    const { client } = await registeredClient(env);
    expect((await client.get("/auth/2fa/status")).body).toEqual({ enabled: false, totp: false, passkeys: 0, backupCodesRemaining: 0, backupCodesTotal: 0 });
  });

  test("GET /auth/security-events lists this user's last events, newest first, without secrets", async () => {
    const { client, userId } = await clientWith2FA(env);
    const res = await client.get("/auth/security-events");
    expect(res.status).toBe(200);
    expect(res.body.events[0]).toEqual({ id: expect.any(String), type: "TWOFA_ENABLED", ip: expect.any(String), userAgent: null, detail: { method: "totp", firstFactor: true }, createdAt: expect.any(String) });
    expect(res.body.events.every((e: { type: string }) => typeof e.type === "string")).toBe(true);
    const other = await registeredClient(env);
    expect((await other.client.get("/auth/security-events")).body.events.map((e: { type: string }) => e.type)).toEqual(["REGISTERED"]);
    expect(userId).toBeDefined();
  });
});

describe("rule 9: the admin CLI's createUser", () => {
  test("creates an ADMIN who must enable 2FA before anything else (once the grace period is over)", async () => {
    const { createUser } = await import("../src/auth/users");
    const email = uniqueEmail("admin");
    const user = await createUser(env.db, { email: email.toUpperCase(), password: PASSWORD, role: "ADMIN" });
    expect(user).toMatchObject({ email, role: "ADMIN" });
    const client = await new Client(env.app).init();
    const login = await client.post("/auth/login", { email, password: PASSWORD });
    expect(login.status).toBe(200);
    expect((await client.get("/auth/2fa/status")).status).toBe(200);
    env.clock.advance(48 * 3600);
    expect((await client.post("/auth/refresh")).status).toBe(200);
    expect((await client.get("/auth/2fa/status")).body.code).toBe("TWOFA_SETUP_REQUIRED");
  });
});

describe("housekeeping", () => {
  test("expired login challenges are pruned after an hour; live ones stay", async () => {
    const { pruneLoginChallenges } = await import("../src/two-factor/prune");
    const { email } = await clientWith2FA(env);
    await startLogin(env, email);
    const userId = (await env.db.user.findUniqueOrThrow({ where: { email } })).id;
    await pruneLoginChallenges(env.db, env.clock.now());
    expect(await env.db.loginChallenge.count({ where: { userId } })).toBe(1);
    await pruneLoginChallenges(env.db, env.clock.now() + 5 * 60 * 1000 + 60 * 60 * 1000 + 1);
    expect(await env.db.loginChallenge.count({ where: { userId } })).toBe(0);
  });
});

describe("remember this device (optional rememberDevice on verify-login)", () => {
  test("the remembered browser skips the code step; other browsers do not; a tokenVersion bump forgets it", async () => {
    const { client: owner, email, secret } = await clientWith2FA(env);
    const browser = await startLogin(env, email);
    const res = await verify(browser, { code: codeAt(secret, env), rememberDevice: true });
    expect(res.status).toBe(200);
    const line = ([] as string[]).concat(res.headers["set-cookie"]).find((c) => c.startsWith("trusted_device="))!;
    expect(line).toMatch(/Path=\/auth\/login/);
    expect(line).toMatch(/Max-Age=2592000/);
    expect(line).toMatch(/HttpOnly/);

    await browser.post("/auth/logout");
    const again = await browser.post("/auth/login", { email, password: PASSWORD });
    expect(again.body.user?.email).toBe(email); // no requires2FA
    const other = await new Client(env.app).init();
    expect((await other.post("/auth/login", { email, password: PASSWORD })).body).toEqual({ requires2FA: true, methods: ["totp", "backup_code"] });

    await owner.post("/auth/logout-all");
    const afterRevoke = await browser.post("/auth/login", { email, password: PASSWORD });
    expect(afterRevoke.body).toEqual({ requires2FA: true, methods: ["totp", "backup_code"] });
  });

  test("a remembered device of one user does not help another user, and the password is still needed", async () => {
    const a = await clientWith2FA(env);
    const b = await clientWith2FA(env);
    const browser = await startLogin(env, a.email);
    await verify(browser, { code: codeAt(a.secret, env), rememberDevice: true });
    expect((await browser.post("/auth/login", { email: b.email, password: PASSWORD })).body).toEqual({ requires2FA: true, methods: ["totp", "backup_code"] });
    expect((await browser.post("/auth/login", { email: a.email, password: "wrong password" })).status).toBe(401);
  });

  test("without rememberDevice no device cookie is set; a non-boolean is a 400", async () => {
    const { email, secret } = await clientWith2FA(env);
    const browser = await startLogin(env, email);
    expect((await verify(browser, { code: codeAt(secret, env), rememberDevice: "yes" })).status).toBe(400);
    const res = await verify(browser, { code: codeAt(secret, env) });
    expect(([] as string[]).concat(res.headers["set-cookie"]).some((c) => c.startsWith("trusted_device="))).toBe(false);
  });
});

describe("rule 5: encryption key rotation (TWOFA_ENCRYPTION_KEYS)", () => {
  test("secrets under the old key keep working, are re-encrypted under the new key at login, and then the old key can go", async () => {
    const k1 = TEST_ENV.TWOFA_ENCRYPTION_KEY;
    const k2 = Buffer.alloc(32, 9).toString("base64");
    const { email, secret, userId } = await clientWith2FA(env); // written under k1
    expect((await twoFactorState(env, userId)).totp?.secret).toMatch(/^v1:k1:/);

    const rotated = await startTestApp({ share: env, env: { TWOFA_ENCRYPTION_KEYS: `k2:${k2},k1:${k1}` } });
    expect((await verify(await startLogin(rotated, email), { code: codeAt(secret, rotated) })).status).toBe(200);
    expect((await twoFactorState(env, userId)).totp?.secret).toMatch(/^v1:k2:/);

    env.clock.advance(30);
    const k2Only = await startTestApp({ share: env, env: { TWOFA_ENCRYPTION_KEYS: `k2:${k2}` } });
    expect((await verify(await startLogin(k2Only, email), { code: codeAt(secret, k2Only) })).status).toBe(200);
    await rotated.close();
    await k2Only.close();
  });
});
