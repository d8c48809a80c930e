import request from "supertest";
import { ERROR_CODES } from "../src/http/errors";
import { Client, PASSWORD, readCookie, registeredClient, startTestApp, uniqueEmail, type TestEnv } from "./harness";

let env: TestEnv;
beforeAll(async () => {
  env = await startTestApp();
});
afterAll(() => env.close());

const setCookies = (res: request.Response): string[] => ([] as string[]).concat(res.headers["set-cookie"] ?? []);
const cookieLine = (res: request.Response, name: string) => setCookies(res).find((c) => c.startsWith(`${name}=`));

describe("POST /auth/register", () => {
  test("201 with the user and session cookies; email stored lower-cased and trimmed", async () => {
    const client = await new Client(env.app).init();
    const res = await client.post("/auth/register", { email: "  Alice.Smith@Example.COM ", password: PASSWORD });
    expect(res.status).toBe(201);
    expect(res.body.user).toEqual({ id: expect.any(String), email: "alice.smith@example.com", role: "USER", twoFactorEnabled: false });
    expect(res.body.user.passwordHash).toBeUndefined();
    const row = await env.db.user.findUniqueOrThrow({ where: { email: "alice.smith@example.com" } });
    expect(row.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  test("cookie attributes: HttpOnly, SameSite=Lax, Path and Max-Age as DESIGN §4", async () => {
    const client = await new Client(env.app).init();
    const res = await client.post("/auth/register", { email: uniqueEmail(), password: PASSWORD });
    const access = cookieLine(res, "access_token")!;
    const refresh = cookieLine(res, "refresh_token")!;
    expect(access).toMatch(/; Max-Age=900;/);
    expect(access).toMatch(/; Path=\/;/);
    expect(access).toMatch(/HttpOnly/);
    expect(access).toMatch(/SameSite=Lax/);
    expect(refresh).toMatch(/; Max-Age=604800;/);
    expect(refresh).toMatch(/; Path=\/auth;/);
    expect(refresh).toMatch(/HttpOnly/);
    expect(access).not.toMatch(/Secure/); // test env: not production
  });

  test("409 EMAIL_TAKEN, whatever the case", async () => {
    const email = uniqueEmail();
    await registeredClient(env, email);
    const res = await (await new Client(env.app).init()).post("/auth/register", { email: email.toUpperCase(), password: PASSWORD });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ code: "EMAIL_TAKEN", message: ERROR_CODES.EMAIL_TAKEN.message });
  });

  test.each([
    [{ email: "not-an-email", password: PASSWORD }],
    [{ email: uniqueEmail(), password: "short" }],
    [{ email: 42, password: PASSWORD }],
    [{ email: [uniqueEmail()], password: PASSWORD }],
    [{ email: uniqueEmail(), password: null }],
    [{}],
  ])("400 VALIDATION_FAILED for %j and nothing is created", async (body) => {
    const before = await env.db.user.count();
    const res = await (await new Client(env.app).init()).post("/auth/register", body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("VALIDATION_FAILED");
    expect(res.body.message).toBe(ERROR_CODES.VALIDATION_FAILED.message);
    expect(await env.db.user.count()).toBe(before);
  });
});

describe("POST /auth/login", () => {
  test("200 with the user and cookies", async () => {
    const { email } = await registeredClient(env);
    const client = await new Client(env.app).init();
    const res = await client.post("/auth/login", { email, password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body.user.email).toBe(email);
    expect(cookieLine(res, "access_token")).toBeDefined();
    expect((await client.get("/auth/me")).status).toBe(200);
  });

  test("unknown email and wrong password get the same answer", async () => {
    const { email } = await registeredClient(env);
    const client = await new Client(env.app).init();
    const wrong = await client.post("/auth/login", { email, password: "wrong password!!" });
    const unknown = await client.post("/auth/login", { email: uniqueEmail(), password: PASSWORD });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.code).toBe("INVALID_CREDENTIALS");
    expect(cookieLine(wrong, "access_token")).toBeUndefined();
  });

  test("failed logins are audited", async () => {
    const { email, userId } = await registeredClient(env);
    await (await new Client(env.app).init()).post("/auth/login", { email, password: "wrong password!!" });
    const events = await env.db.auditEvent.findMany({ where: { userId, type: "LOGIN_FAILURE" } });
    expect(events).toHaveLength(1);
  });
});

describe("sessions: me, refresh, logout, logout-all", () => {
  test("GET /auth/me without a session → 401 UNAUTHENTICATED", async () => {
    const res = await request(env.app).get("/auth/me");
    expect(res.status).toBe(401);
    expect(res.body.code).toBe("UNAUTHENTICATED");
  });

  test("refresh issues a new access token and rotates the refresh token", async () => {
    const { client } = await registeredClient(env);
    const before = client.cookie("refresh_token");
    env.clock.advance(2);
    const res = await client.post("/auth/refresh");
    expect(res.status).toBe(200);
    expect(cookieLine(res, "access_token")).toBeDefined();
    expect(client.cookie("refresh_token")).not.toBe(before);
    expect((await client.get("/auth/me")).status).toBe(200);
  });

  test("refresh without a refresh token → 401", async () => {
    const res = await (await new Client(env.app).init()).post("/auth/refresh");
    expect(res.status).toBe(401);
  });

  test("an expired access token is refused; refresh brings the session back", async () => {
    const { client } = await registeredClient(env);
    env.clock.advance(16 * 60);
    expect((await client.get("/auth/me")).status).toBe(401);
    expect((await client.post("/auth/refresh")).status).toBe(200);
    expect((await client.get("/auth/me")).status).toBe(200);
  });

  test("logout clears the cookies", async () => {
    const { client } = await registeredClient(env);
    const res = await client.post("/auth/logout");
    expect(res.status).toBe(200);
    expect(cookieLine(res, "access_token")).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect((await client.get("/auth/me")).status).toBe(401);
  });

  test("tokenVersion: logout-all kills another session's access AND refresh token at once", async () => {
    const { client, email } = await registeredClient(env);
    const other = await new Client(env.app).init();
    await other.post("/auth/login", { email, password: PASSWORD });
    expect((await other.get("/auth/me")).status).toBe(200);
    const res = await client.post("/auth/logout-all");
    expect(res.status).toBe(200);
    expect((await other.get("/auth/me")).status).toBe(401); // not 15 minutes later: now
    expect((await other.post("/auth/refresh")).status).toBe(401);
    expect((await client.get("/auth/me")).status).toBe(401);
  });
});

describe("CSRF (double submit, Angular's XSRF-TOKEN / X-XSRF-TOKEN)", () => {
  test("GET /auth/csrf sets a readable XSRF-TOKEN cookie", async () => {
    const res = await request(env.app).get("/auth/csrf");
    expect(res.status).toBe(204);
    const line = cookieLine(res, "XSRF-TOKEN")!;
    expect(line).toBeDefined();
    expect(line).not.toMatch(/HttpOnly/);
  });

  test("a state-changing request with auth cookies but no matching header → 403 CSRF_FAILED", async () => {
    const { client } = await registeredClient(env);
    const noHeader = await client.agent.post("/auth/logout-all");
    expect(noHeader.status).toBe(403);
    expect(noHeader.body.code).toBe("CSRF_FAILED");
    const wrongHeader = await client.agent.post("/auth/logout-all").set("X-XSRF-TOKEN", "forged");
    expect(wrongHeader.status).toBe(403);
    // and nothing happened: the session still works
    expect((await client.get("/auth/me")).status).toBe(200);
  });

  test("a token that is not signed by the server is refused even when cookie and header match", async () => {
    const { client } = await registeredClient(env);
    const access = client.cookie("access_token");
    const res = await request(env.app)
      .post("/auth/logout-all")
      .set("Cookie", `access_token=${access}; XSRF-TOKEN=attacker-made`)
      .set("X-XSRF-TOKEN", "attacker-made");
    expect(res.status).toBe(403);
  });
});

describe("bad input never gives a 500", () => {
  test("malformed JSON → 400 MALFORMED_JSON", async () => {
    const res = await request(env.app).post("/auth/login").set("Content-Type", "application/json").send('{"email": ');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: "MALFORMED_JSON", message: ERROR_CODES.MALFORMED_JSON.message });
  });

  test("a 2 MB body → 413 JSON", async () => {
    const res = await request(env.app)
      .post("/auth/register")
      .set("Content-Type", "application/json")
      .send(JSON.stringify({ email: "a@b.c", password: "x".repeat(2 * 1024 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.body.code).toBe("PAYLOAD_TOO_LARGE");
  });

  test("a non-JSON body → 400 VALIDATION_FAILED", async () => {
    const client = await new Client(env.app).init();
    const res = await client.post("/auth/login").set("Content-Type", "text/plain").send("email=a");
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("VALIDATION_FAILED");
  });

  test("unknown route → JSON 404", async () => {
    const res = await request(env.app).get("/auth/nope");
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: "NOT_FOUND", message: "Not found" });
  });

  test("garbage cookies are just 401", async () => {
    const res = await request(env.app).get("/auth/me").set("Cookie", "access_token=%%%garbage");
    expect(res.status).toBe(401);
  });
});

describe("headers", () => {
  test("helmet sets security headers; API answers get the API set (nothing may run or frame them); no x-powered-by", async () => {
    for (const path of ["/healthz", "/auth/me"]) {
      const res = await request(env.app).get(path);
      expect(res.headers["x-powered-by"]).toBeUndefined();
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
      expect(res.headers["content-security-policy"]).toBe("default-src 'none';frame-ancestors 'none'");
      expect(res.headers["cross-origin-resource-policy"]).toBe("same-origin");
      expect(res.headers["referrer-policy"]).toBe("no-referrer");
    }
    // anything else (the SPA's documents and files) gets the document set with the SPA's CSP
    const doc = await request(env.app).get("/some/page");
    expect(doc.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(doc.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(doc.headers["x-frame-options"]).toBe("SAMEORIGIN");
  });
});

test("readCookie helper sanity", () => {
  expect(readCookie(["a=1; Path=/", "b=2"], "b")).toBe("2");
});

describe("CORS_ORIGIN for a separately hosted SPA", () => {
  test("an allowed origin gets credentialed CORS headers and a preflight answer; others get none", async () => {
    const cors = await startTestApp({ share: env, env: { CORS_ORIGIN: "https://spa.example.com, https://other.example.com" } });
    const preflight = await request(cors.app)
      .options("/auth/login")
      .set("Origin", "https://spa.example.com")
      .set("Access-Control-Request-Method", "POST")
      .set("Access-Control-Request-Headers", "content-type,x-xsrf-token");
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-origin"]).toBe("https://spa.example.com");
    expect(preflight.headers["access-control-allow-credentials"]).toBe("true");
    expect(preflight.headers["access-control-allow-headers"]).toMatch(/X-XSRF-TOKEN/i);
    const foreign = await request(cors.app).get("/healthz").set("Origin", "https://evil.example.com");
    expect(foreign.headers["access-control-allow-origin"]).toBeUndefined();
    const none = await request(env.app).get("/healthz").set("Origin", "https://spa.example.com");
    expect(none.headers["access-control-allow-origin"]).toBeUndefined();
    await cors.close();
  });
});
