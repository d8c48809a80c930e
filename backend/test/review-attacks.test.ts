// Attacks from the security review of sessions, CSRF, proofs, account and admin (written as the
// attacks; each one failed before its fix).
import crypto from "node:crypto";
import request from "supertest";
import { createUser } from "../src/auth/users";
import { generateTotp } from "../src/two-factor/totp/totp";
import { Client, clientWith2FA, codeAt, PASSWORD, registeredClient, startLogin, startTestApp, uniqueEmail, type TestEnv } from "./harness";

let env: TestEnv;
beforeAll(async () => {
  env = await startTestApp();
});
afterAll(async () => {
  await env.close();
});

const NEW_PASSWORD = "violet tractor sings at midnight";

describe("a login half-way (password given, code pending) dies with the change that ends every other session", () => {
  test("password change: an attacker who had the old password cannot finish the login with a phished code", async () => {
    const { client, email, secret } = await clientWith2FA(env);
    const attacker = await startLogin(env, email); // old password, twofa_token held
    const res = await client.post("/auth/password/change", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, code: codeAt(secret, env) });
    expect(res.status).toBe(200);
    env.clock.advance(30);
    const finish = await attacker.post("/auth/2fa/verify-login", { code: codeAt(secret, env) });
    expect(finish.status).toBe(401);
    expect(finish.body.code).toBe("SESSION_EXPIRED");
  });

  test("logout-all (\"sign out everywhere\"): the pending login cannot be finished either", async () => {
    const { client, email, secret } = await clientWith2FA(env);
    const attacker = await startLogin(env, email);
    expect((await client.post("/auth/logout-all")).status).toBe(200);
    const finish = await attacker.post("/auth/2fa/verify-login", { code: codeAt(secret, env) });
    expect(finish.status).toBe(401);
    expect(finish.body.code).toBe("SESSION_EXPIRED");
  });

  test("\"sign out other sessions\" (the owner saw a stranger's session): the stranger's next login half-way dies too", async () => {
    const { client, email, secret } = await clientWith2FA(env);
    const attacker = await startLogin(env, email);
    expect((await client.post("/auth/sessions/revoke-others")).status).toBe(200);
    const finish = await attacker.post("/auth/2fa/verify-login", { code: codeAt(secret, env) });
    expect(finish.status).toBe(401);
    expect(finish.body.code).toBe("SESSION_EXPIRED");
    expect((await client.get("/auth/me")).status).toBe(200);
  });
});

describe("password change under a burst of wrong current passwords", () => {
  test("20 concurrent changes with wrong passwords: at most 5 evaluated, the rest 429; then the right password is 429 too", async () => {
    const { client, userId } = await registeredClient(env);
    const tries = await Promise.all(Array.from({ length: 20 }, (_, i) => client.post("/auth/password/change", { currentPassword: `wrong password ${i}`, newPassword: NEW_PASSWORD })));
    const statuses = tries.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.every((s) => s === 401 || s === 429 || s === 503)).toBe(true);
    const right = await client.post("/auth/password/change", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(right.status).toBe(429);
    expect(await env.db.auditEvent.count({ where: { userId, type: "PASSWORD_CHANGED" } })).toBe(0);
  });
});

describe("odd ids and strings (NUL, lone surrogates, bad percent-encoding) are 4xx, never a 500", () => {
  test("DELETE /auth/sessions/:id and /auth/trusted-devices/:id with a NUL, unicode or a long id → 404 / 400, never 500", async () => {
    const { client } = await registeredClient(env);
    for (const id of ["%00", "abc%00def", encodeURIComponent("日本語🔑"), "x".repeat(100), "%E2%80%AE"]) {
      for (const path of [`/auth/sessions/${id}`, `/auth/trusted-devices/${id}`]) {
        const res = await client.delete(path);
        expect([path, res.status]).toEqual([path, 404]);
      }
    }
    for (const malformed of ["%", "%E0%A4%A", "%C0%80"]) {
      const res = await client.delete(`/auth/sessions/${malformed}`);
      expect([malformed, res.status, res.body.code]).toEqual([malformed, 400, "VALIDATION_FAILED"]);
    }
    const long = await client.delete(`/auth/sessions/${"x".repeat(5000)}`);
    expect(long.status).toBeLessThan(500);
    expect((await client.get("/auth/me")).status).toBe(200);
  });

  test("admin: a NUL in a user id or in the search → 4xx, never 500", async () => {
    const email = uniqueEmail("admin");
    await createUser(env.db, { email, password: PASSWORD, role: "ADMIN" });
    const admin = await new Client(env.app).init();
    expect((await admin.post("/auth/login", { email, password: PASSWORD })).status).toBe(200);
    const setup = await admin.post("/auth/2fa/setup", {});
    expect((await admin.post("/auth/2fa/enable", { token: generateTotp(setup.body.secret, env.clock.now()) })).status).toBe(200);
    env.clock.advance(30);
    expect((await admin.post("/auth/admin/users/%00/reset-2fa", { reason: "a reason long enough" })).status).toBe(404);
    expect((await admin.post("/auth/admin/users/a%00b/unlock")).status).toBe(404);
    expect((await admin.get("/auth/admin/users?query=%00")).status).toBeLessThan(500);
    expect((await admin.get("/auth/admin/users?after=%00")).status).toBeLessThan(500);
  });

  test("bodies with NUL characters: login, forgot, change, disable → 4xx, never 500", async () => {
    const { client, secret } = await clientWith2FA(env);
    const anon = await new Client(env.app).init();
    expect((await anon.post("/auth/login", { email: "a\u0000b@example.com", password: PASSWORD })).status).toBeLessThan(500);
    const surrogate = await anon.post("/auth/login", { email: "\ud800@example.com", password: PASSWORD });
    expect(surrogate.status).toBe(400);
    expect(surrogate.body.fields[0].field).toBe("email");
    expect((await anon.post("/auth/password/forgot", { email: "a\u0000b@example.com" })).status).toBeLessThan(500);
    expect((await anon.post("/auth/password/reset/check", { token: "\u0000".repeat(43) })).status).toBeLessThan(500);
    expect((await client.post("/auth/password/change", { currentPassword: "x\u0000", newPassword: NEW_PASSWORD, backupCode: "ab\u0000" })).status).toBeLessThan(500);
    const disable = await client.post("/auth/2fa/disable", { password: "\u0000", code: codeAt(secret, env) });
    expect(disable.status).toBe(400);
    expect(disable.body).toMatchObject({ code: "VALIDATION_FAILED", fields: [{ field: "password", message: "must not contain a NUL character or a lone surrogate" }] });
    expect((await client.get("/auth/security-events?before=%00")).status).toBe(400);
  });
});

describe("a remembered device works for its own user only", () => {
  test("user A's device cookie neither lifts B's per-email limit nor skips B's code", async () => {
    const limited = await startTestApp({ env: { RATE_LIMIT_EMAIL_FAILURES: "3" } });
    try {
      const a = await clientWith2FA(limited);
      const b = await clientWith2FA(limited);
      const browser = await startLogin(limited, a.email);
      expect((await browser.post("/auth/2fa/verify-login", { code: codeAt(a.secret, limited), rememberDevice: true })).status).toBe(200);
      await browser.post("/auth/logout");
      // with A's live device cookie, B's login still asks for B's code
      const asB = await browser.post("/auth/login", { email: b.email, password: PASSWORD });
      expect(asB.body).toEqual({ requires2FA: true, methods: ["totp", "backup_code"] });
      // B's email locked by wrong passwords: A's device cookie is no pass for it
      for (let i = 0; i < 3; i++) {
        const attacker = await new Client(limited.app, `10.98.0.${i}`).init();
        expect((await attacker.post("/auth/login", { email: b.email, password: "guessing" })).status).toBe(401);
      }
      expect((await browser.post("/auth/login", { email: b.email, password: PASSWORD })).status).toBe(429);
      expect((await browser.post("/auth/login", { email: b.email.toUpperCase(), password: "guessing" })).status).toBe(429);
      // and A's own login on it still skips A's code
      expect((await browser.post("/auth/login", { email: a.email, password: PASSWORD })).body.user.email).toBe(a.email);
    } finally {
      await limited.close();
    }
  });
});

describe("CSRF is bound to the session the request acts on", () => {
  test("a refresh token of session A with the CSRF token of session B is refused; with A's own token it works", async () => {
    const a = await registeredClient(env);
    const b = await registeredClient(env);
    const xsrfB = b.client.cookie("XSRF-TOKEN")!;
    const withB = await request(env.app).post("/auth/refresh").set("Cookie", `refresh_token=${a.client.cookie("refresh_token")}; XSRF-TOKEN=${xsrfB}`).set("X-XSRF-TOKEN", xsrfB);
    expect(withB.status).toBe(403);
    expect(withB.body.code).toBe("CSRF_FAILED");
    const xsrfA = a.client.cookie("XSRF-TOKEN")!;
    const withA = await request(env.app).post("/auth/refresh").set("Cookie", `refresh_token=${a.client.cookie("refresh_token")}; XSRF-TOKEN=${xsrfA}`).set("X-XSRF-TOKEN", xsrfA);
    expect(withA.status).toBe(200);
  });
});

describe("a reset link dies with a password change", () => {
  test("a link issued before the owner changed the password is RESET_LINK_INVALID afterwards", async () => {
    const { client, userId } = await registeredClient(env);
    const token = crypto.randomBytes(32).toString("base64url");
    await env.db.passwordResetToken.create({
      data: { id: crypto.randomUUID(), userId, tokenHash: crypto.createHash("sha256").update(token).digest("hex"), createdAt: new Date(env.clock.now()), expiresAt: new Date(env.clock.now() + 30 * 60_000), ip: "10.0.0.1", userAgent: "test" },
    });
    const anon = await new Client(env.app).init();
    expect((await anon.post("/auth/password/reset/check", { token })).status).toBe(200);
    expect((await client.post("/auth/password/change", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).status).toBe(200);
    const reset = await anon.post("/auth/password/reset", { token, password: "another long passphrase here" });
    expect(reset.status).toBe(400);
    expect(reset.body.code).toBe("RESET_LINK_INVALID");
  });
});
