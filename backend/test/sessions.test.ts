// Server-side sessions and remembered devices (DESIGN §3, §4; issue 9), tested as an attacker
// would: stolen cookies copied to another client before and after a rotation, replays after the
// grace period, another user's ids, concurrent refreshes, a second app instance.
import request from "supertest";
import { ERROR_CODES } from "../src/http/errors";
import { Client, clientWith2FA, codeAt, copyBrowser, PASSWORD, readCookie, registeredClient, startLogin, startTestApp, uniqueEmail, type TestEnv } from "./harness";

let env: TestEnv;
beforeAll(async () => {
  env = await startTestApp();
});
afterAll(() => env.close());

const CHROME_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/** A second browser of the same user (password-only account). */
async function loginAgain(email: string, userAgent?: string) {
  const client = await new Client(env.app).init();
  const res = await client.post("/auth/login", { email, password: PASSWORD }).set("User-Agent", userAgent ?? "curl/8.0");
  expect(res.status).toBe(200);
  return client;
}

const sessionsOf = async (client: Client) => (await client.get("/auth/sessions")).body.sessions as Array<Record<string, unknown>>;
const sidOf = (client: Client) => JSON.parse(Buffer.from(client.cookie("access_token")!.split(".")[1], "base64url").toString()).sid as string;

describe("sessions list", () => {
  test("lists live sessions with device, IP, how they were verified, and which one is this one", async () => {
    const { client, email } = await registeredClient(env);
    const laptop = await loginAgain(email, CHROME_LINUX);
    const list = await sessionsOf(client);
    expect(list).toHaveLength(2);
    const mine = list.find((s) => s.current)!;
    expect(mine.id).toBe(sidOf(client));
    const other = list.find((s) => !s.current)!;
    expect(other).toMatchObject({ id: sidOf(laptop), device: "Chrome on Linux", ip: laptop.ip, authMethod: "password", userAgent: CHROME_LINUX });
    expect(Object.keys(other).sort()).toEqual(["authMethod", "createdAt", "current", "device", "id", "ip", "lastSeenAt", "userAgent"]);
    // a logged-out session is no longer listed
    await laptop.post("/auth/logout");
    expect(await sessionsOf(client)).toHaveLength(1);
  });

  test("a session idle for longer than a refresh token lives is no longer listed (none of its tokens works)", async () => {
    const { client, email } = await registeredClient(env);
    const idle = await loginAgain(email);
    const idleSid = sidOf(idle);
    env.clock.advance(6 * 24 * 3600);
    expect((await client.post("/auth/refresh")).status).toBe(200); // this one stays active
    expect((await sessionsOf(client)).map((s) => s.id)).toContain(idleSid);
    env.clock.advance(24 * 3600 + 120);
    expect((await idle.post("/auth/refresh")).status).toBe(401); // its refresh token is past its 7 days
    expect((await client.post("/auth/refresh")).status).toBe(200);
    expect((await sessionsOf(client)).map((s) => s.id)).not.toContain(idleSid);
    expect((await sessionsOf(client)).find((s) => s.current)).toBeDefined();
  });

  test("a 2FA login is listed as totp, a backup-code login as backup_code", async () => {
    const { client, email, secret, backupCodes } = await clientWith2FA(env);
    const byCode = await startLogin(env, email);
    expect((await byCode.post("/auth/2fa/verify-login", { code: codeAt(secret, env) })).status).toBe(200);
    const byBackup = await startLogin(env, email);
    expect((await byBackup.post("/auth/2fa/verify-login", { backupCode: backupCodes[0] })).status).toBe(200);
    const methods = Object.fromEntries((await sessionsOf(client)).map((s) => [s.id, s.authMethod]));
    expect(methods[sidOf(byCode)]).toBe("totp");
    expect(methods[sidOf(byBackup)]).toBe("backup_code");
  });

  test("lastSeenAt is written at most once a minute, never on every request", async () => {
    const { client, email } = await registeredClient(env);
    const other = await loginAgain(email);
    const sid = sidOf(other);
    const seen = async () => (await env.db.session.findUniqueOrThrow({ where: { id: sid } })).lastSeenAt.getTime();
    const first = await seen();
    env.clock.advance(30);
    for (let i = 0; i < 5; i++) expect((await other.get("/auth/me")).status).toBe(200);
    expect(await seen()).toBe(first);
    env.clock.advance(31);
    expect((await other.get("/auth/me")).status).toBe(200);
    // written after the answer (not awaited by the request): poll briefly
    const deadline = Date.now() + 2000;
    while ((await seen()) === first && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await seen()).toBe(env.clock.now());
    expect(client).toBeDefined();
  });
});

describe("revoking a session", () => {
  test("revoke another session → its next request is 401 at once, access and refresh alike, on every instance", async () => {
    const second = await startTestApp({ share: env });
    try {
      const { client, email } = await registeredClient(env);
      const victim = await loginAgain(email);
      const onOtherInstance = copyBrowser(victim, second.app, victim.ip);
      expect((await onOtherInstance.get("/auth/me")).status).toBe(200);
      const res = await client.delete(`/auth/sessions/${sidOf(victim)}`);
      expect(res.status).toBe(204);
      expect((await victim.get("/auth/me")).status).toBe(401);
      expect((await onOtherInstance.get("/auth/me")).status).toBe(401);
      expect((await onOtherInstance.post("/auth/refresh")).status).toBe(401);
      expect((await client.get("/auth/me")).status).toBe(200);
      const events = await env.db.auditEvent.findMany({ where: { type: "SESSION_REVOKED", userId: (await client.get("/auth/me")).body.id } });
      expect(events).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  test("another user's session id, an unknown id, or an ended one → 404, and that session lives on", async () => {
    const alice = await registeredClient(env);
    const bob = await registeredClient(env);
    const bobSid = sidOf(bob.client);
    const res = await alice.client.delete(`/auth/sessions/${bobSid}`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: "NOT_FOUND", message: ERROR_CODES.NOT_FOUND.message });
    expect((await bob.client.get("/auth/me")).status).toBe(200);
    expect((await alice.client.delete("/auth/sessions/does-not-exist")).status).toBe(404);
    const other = await loginAgain(alice.email);
    expect((await alice.client.delete(`/auth/sessions/${sidOf(other)}`)).status).toBe(204);
    expect((await alice.client.delete(`/auth/sessions/${sidOf(other)}`)).status).toBe(404);
  });

  test("deleting its own session is a logout", async () => {
    const { client } = await registeredClient(env);
    const res = await client.delete(`/auth/sessions/${sidOf(client)}`);
    expect(res.status).toBe(204);
    expect(readCookie(res.headers["set-cookie"], "access_token")).toBe("");
    expect((await client.get("/auth/me")).status).toBe(401);
  });

  test("revoke-others ends every other session and keeps this one", async () => {
    const { client, email } = await registeredClient(env);
    const others = [await loginAgain(email), await loginAgain(email), await loginAgain(email)];
    const res = await client.post("/auth/sessions/revoke-others");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ revoked: 3 });
    for (const other of others) expect((await other.get("/auth/me")).status).toBe(401);
    expect((await client.get("/auth/me")).status).toBe(200);
    expect(await sessionsOf(client)).toHaveLength(1);
  });
});

describe("refresh rotation", () => {
  test("each refresh rotates: the new refresh token works, the old one within 10 s gets the current generation", async () => {
    const { client } = await registeredClient(env);
    const before = client.cookie("refresh_token")!;
    const thief = copyBrowser(client);
    expect((await client.post("/auth/refresh")).status).toBe(200);
    expect(client.cookie("refresh_token")).not.toBe(before);
    env.clock.advance(5);
    // a lost response / a second tab: the previous generation within the grace period still works
    expect((await thief.post("/auth/refresh")).status).toBe(200);
    expect((await client.get("/auth/me")).status).toBe(200);
  });

  test("two concurrent refreshes with the same token both succeed (two tabs)", async () => {
    const { client } = await registeredClient(env);
    const tab2 = copyBrowser(client, env.app, client.ip);
    const [a, b] = await Promise.all([client.post("/auth/refresh"), tab2.post("/auth/refresh")]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect((await client.get("/auth/me")).status).toBe(200);
    expect((await tab2.get("/auth/me")).status).toBe(200);
  });

  test("reuse of a rotated refresh token after the grace kills the session: 401 SESSION_REVOKED, audited, the owner is out too", async () => {
    const { client, userId } = await registeredClient(env);
    const thief = copyBrowser(client); // stolen before the owner's next refresh
    expect((await client.post("/auth/refresh")).status).toBe(200);
    env.clock.advance(11);
    const res = await thief.post("/auth/refresh");
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ code: "SESSION_REVOKED", message: ERROR_CODES.SESSION_REVOKED.message });
    expect((await client.get("/auth/me")).status).toBe(401);
    expect((await client.post("/auth/refresh")).status).toBe(401);
    expect(await env.db.auditEvent.count({ where: { userId, type: "REFRESH_TOKEN_REUSE" } })).toBe(1);
  });

  test("a refresh token two generations old is reuse even inside the grace period", async () => {
    const { client } = await registeredClient(env);
    const thief = copyBrowser(client);
    expect((await client.post("/auth/refresh")).status).toBe(200);
    expect((await client.post("/auth/refresh")).status).toBe(200);
    expect((await thief.post("/auth/refresh")).body.code).toBe("SESSION_REVOKED");
    expect((await client.get("/auth/me")).status).toBe(401);
  });

  test("absolute lifetime: refreshing never extends a session past 30 days after its login", async () => {
    const { client } = await registeredClient(env);
    const refreshCookie = ([] as string[]).concat((await client.post("/auth/refresh")).headers["set-cookie"]).find((c) => c.startsWith("refresh_token="))!;
    expect(Number(/Max-Age=(\d+)/.exec(refreshCookie)![1])).toBeLessThanOrEqual(7 * 24 * 3600);
    for (let week = 1; week <= 4; week++) {
      env.clock.advance(7 * 24 * 3600 - 60); // each refresh token is used just before its 7 days run out
      expect((await client.post("/auth/refresh")).status).toBe(200);
    }
    // day 28: the last refresh token may not outlive the session (30 days after the login)
    const last = ([] as string[]).concat((await client.post("/auth/refresh")).headers["set-cookie"]).find((c) => c.startsWith("refresh_token="))!;
    expect(Number(/Max-Age=(\d+)/.exec(last)![1])).toBeLessThanOrEqual(2 * 24 * 3600 + 4 * 60);
    env.clock.advance(2 * 24 * 3600 + 5 * 60);
    expect((await client.post("/auth/refresh")).status).toBe(401);
    expect((await client.get("/auth/me")).status).toBe(401);
  });
});

describe("logout", () => {
  test("a stolen access or refresh token is dead after the owner logs out", async () => {
    const { client } = await registeredClient(env);
    const thief = copyBrowser(client);
    const res = await client.post("/auth/logout");
    expect(res.status).toBe(200);
    expect((await thief.get("/auth/me")).status).toBe(401);
    expect((await thief.post("/auth/refresh")).status).toBe(401);
  });

  test("logout with an expired access token still ends the session (the refresh token names it)", async () => {
    const { client, userId } = await registeredClient(env);
    const thief = copyBrowser(client);
    env.clock.advance(16 * 60);
    expect((await client.post("/auth/logout")).status).toBe(200);
    expect((await thief.post("/auth/refresh")).status).toBe(401);
    expect(await env.db.auditEvent.count({ where: { userId, type: "LOGOUT" } })).toBe(1);
  });

  test("logout-all ends every session and forgets every remembered device", async () => {
    const { client, email, secret } = await clientWith2FA(env);
    const remembered = await startLogin(env, email);
    expect((await remembered.post("/auth/2fa/verify-login", { code: codeAt(secret, env), rememberDevice: true })).status).toBe(200);
    expect((await client.post("/auth/logout-all")).status).toBe(200);
    expect((await client.get("/auth/me")).status).toBe(401);
    expect((await remembered.get("/auth/me")).status).toBe(401);
    const again = await remembered.post("/auth/login", { email, password: PASSWORD });
    expect(again.body).toEqual({ requires2FA: true, methods: ["totp", "backup_code"] });
  });
});

describe("CSRF", () => {
  test("every state-changing request needs the header, logged in or not: login, register, logout", async () => {
    const { client, email } = await registeredClient(env);
    for (const [path, body] of [["/auth/login", { email, password: PASSWORD }], ["/auth/register", { email: uniqueEmail(), password: PASSWORD }], ["/auth/logout", {}]] as const) {
      const res = await client.agent.post(path).send(body);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe("CSRF_FAILED");
    }
    expect((await client.get("/auth/me")).status).toBe(200); // the forged logout did nothing
  });

  test("the token is bound to the session: another session's token is refused; login issues a new one", async () => {
    const alice = await registeredClient(env);
    const bob = await registeredClient(env);
    const bobsToken = bob.client.cookie("XSRF-TOKEN")!;
    expect(alice.client.cookie("XSRF-TOKEN")).not.toBe(bobsToken);
    const forged = await alice.client.agent.post("/auth/logout").set("Cookie", `XSRF-TOKEN=${bobsToken}`).set("X-XSRF-TOKEN", bobsToken);
    expect(forged.status).toBe(403);
    // a token planted before login (cookie tossing) is replaced by the login
    const browser = await new Client(env.app).init();
    const planted = browser.cookie("XSRF-TOKEN");
    await browser.post("/auth/login", { email: alice.email, password: PASSWORD });
    expect(browser.cookie("XSRF-TOKEN")).not.toBe(planted);
    const withPlanted = await request(env.app)
      .post("/auth/logout")
      .set("Cookie", `access_token=${browser.cookie("access_token")}; XSRF-TOKEN=${planted}`)
      .set("X-XSRF-TOKEN", planted!);
    expect(withPlanted.status).toBe(403);
  });

  test("every /auth answer says Cache-Control: no-store", async () => {
    const { client } = await registeredClient(env);
    for (const res of [await client.get("/auth/me"), await client.get("/auth/sessions"), await client.post("/auth/refresh"), await request(env.app).get("/auth/nope")]) {
      expect(res.headers["cache-control"]).toBe("no-store");
    }
  });
});

describe("remembered devices", () => {
  async function rememberedBrowser() {
    const account = await clientWith2FA(env);
    const browser = await startLogin(env, account.email);
    const res = await browser.post("/auth/2fa/verify-login", { code: codeAt(account.secret, env), rememberDevice: true });
    expect(res.status).toBe(200);
    return { ...account, browser };
  }

  test("listed with this browser marked; the cookie holds no stored secret and skips the code for its own user", async () => {
    const { client, browser, email, userId } = await rememberedBrowser();
    const cookie = browser.cookie("trusted_device")!;
    const [id, secret] = cookie.split(".");
    const row = await env.db.trustedDevice.findUniqueOrThrow({ where: { id } });
    expect(row.userId).toBe(userId);
    expect(row.secretHash).not.toContain(secret);
    const devices = (await browser.get("/auth/trusted-devices")).body.devices;
    expect(devices).toHaveLength(1);
    expect(devices[0]).toMatchObject({ id, current: true });
    expect((await client.get("/auth/trusted-devices")).body.devices[0].current).toBe(false);
    await browser.post("/auth/logout"); // survives a plain logout: that is its purpose
    const login = await browser.post("/auth/login", { email, password: PASSWORD });
    expect(login.body.user).toBeDefined();
    expect((await sessionsOf(browser)).find((s) => s.current)!.authMethod).toBe("trusted_device");
  });

  test("a cookie copied before its rotation no longer skips the code", async () => {
    const { browser, email } = await rememberedBrowser();
    await browser.post("/auth/logout");
    const thief = copyBrowser(browser);
    expect((await browser.post("/auth/login", { email, password: PASSWORD })).body.user).toBeDefined(); // rotates it
    const stolen = await thief.post("/auth/login", { email, password: PASSWORD });
    expect(stolen.body).toEqual({ requires2FA: true, methods: ["totp", "backup_code"] });
    // and the owner's rotated cookie keeps working
    await browser.post("/auth/logout");
    expect((await browser.post("/auth/login", { email, password: PASSWORD })).body.user).toBeDefined();
  });

  test("two logins racing with one cookie: only one skips the code", async () => {
    const { browser, email } = await rememberedBrowser();
    await browser.post("/auth/logout");
    const copies = [copyBrowser(browser), copyBrowser(browser), copyBrowser(browser)];
    const results = await Promise.all(copies.map((c) => c.post("/auth/login", { email, password: PASSWORD })));
    expect(results.filter((r) => r.body.user).length).toBe(1);
  });

  test("Forget: the device no longer skips the code; another user's device → 404", async () => {
    const { client, browser, email } = await rememberedBrowser();
    const stranger = await registeredClient(env);
    const id = browser.cookie("trusted_device")!.split(".")[0];
    expect((await stranger.client.delete(`/auth/trusted-devices/${id}`)).status).toBe(404);
    expect((await client.delete(`/auth/trusted-devices/${id}`)).status).toBe(204);
    expect((await client.delete(`/auth/trusted-devices/${id}`)).status).toBe(404);
    await browser.post("/auth/logout");
    expect((await browser.post("/auth/login", { email, password: PASSWORD })).body).toEqual({ requires2FA: true, methods: ["totp", "backup_code"] });
  });

  test("a 2FA change (new backup codes) forgets every device and ends every other session", async () => {
    const { client, browser, email, secret } = await rememberedBrowser();
    env.clock.advance(30);
    expect((await client.post("/auth/2fa/backup-codes", { password: PASSWORD, code: codeAt(secret, env) })).status).toBe(200);
    expect((await browser.get("/auth/me")).status).toBe(401);
    expect((await client.get("/auth/trusted-devices")).body.devices).toEqual([]);
    expect(await sessionsOf(client)).toHaveLength(1);
    await browser.post("/auth/logout");
    expect((await browser.post("/auth/login", { email, password: PASSWORD })).body).toEqual({ requires2FA: true, methods: ["totp", "backup_code"] });
  });
});

describe("rule 15: lockout without denial of service", () => {
  test("someone else's wrong passwords lock the email out everywhere except on the owner's remembered device", async () => {
    const limited = await startTestApp({ env: { RATE_LIMIT_EMAIL_FAILURES: "3" } });
    try {
      const { email, secret } = await clientWith2FA(limited);
      const owner = await startLogin(limited, email);
      expect((await owner.post("/auth/2fa/verify-login", { code: codeAt(secret, limited), rememberDevice: true })).status).toBe(200);
      await owner.post("/auth/logout");
      const stolenEarlier = copyBrowser(owner); // a copy of the device cookie, rotated below
      for (let i = 0; i < 3; i++) {
        const attacker = await new Client(limited.app, `10.99.0.${i}`).init();
        const res = await attacker.post("/auth/login", { email, password: "guessing" });
        expect(res.status).toBe(401);
        // only the per-IP limiter (the attacker's own count) speaks; the per-email count stays hidden
        expect(res.headers["ratelimit"] ?? "").not.toMatch(/limit=3\b/);
        expect(res.headers["ratelimit-policy"] ?? "").not.toMatch(/^3;/);
      }
      const elsewhere = await new Client(limited.app).init();
      expect((await elsewhere.post("/auth/login", { email, password: PASSWORD })).status).toBe(429);
      // the owner's remembered browser is not refused, and the login skips the code as usual
      const mine = await owner.post("/auth/login", { email, password: PASSWORD });
      expect(mine.status).toBe(200);
      expect(mine.body.user.email).toBe(email);
      // a device cookie that is no longer valid (rotated by that login) is no pass
      expect((await stolenEarlier.post("/auth/login", { email, password: PASSWORD })).status).toBe(429);
    } finally {
      await limited.close();
    }
  });
});
