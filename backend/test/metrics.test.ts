// Issue 19: GET /readyz (the database answers and has every migration) and GET /metrics
// (Prometheus, only with METRICS_TOKEN, bearer-protected), driven through the API: each counter
// moves with the requests that should move it.
import request from "supertest";
import { createApp } from "../src/app";
import { createPrisma } from "../src/db/prisma";
import pino from "pino";
import { Client, clientWith2FA, codeAt, copyBrowser, registeredClient, startLogin, startTestApp, testConfig, uniqueEmail, type TestEnv } from "./harness";
import { addPasskey, newAuthenticator, passkeyOptions } from "./support/passkeys";

const TOKEN = "metrics-token-for-the-tests-0123456789";

describe("GET /readyz", () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startTestApp();
  });
  afterAll(() => env.close());

  test("200 when the database answers and every migration is applied; 503 naming the missing one otherwise", async () => {
    expect((await request(env.app).get("/readyz")).body).toEqual({ status: "ready", db: "ok", migrations: "ok" });
    const [last] = await env.db.$queryRaw<{ name: string }[]>`SELECT migration_name AS name FROM "_prisma_migrations" ORDER BY migration_name DESC LIMIT 1`;
    await env.db.$executeRaw`DELETE FROM "_prisma_migrations" WHERE migration_name = ${last.name}`;
    const res = await request(env.app).get("/readyz");
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: "unavailable", db: "ok", migrations: "pending", pending: [last.name], code: "SERVICE_UNAVAILABLE" });
    // liveness does not care
    expect((await request(env.app).get("/healthz")).status).toBe(200);
  });

  test("503 when the database does not answer", async () => {
    const db = createPrisma("postgresql://nobody@127.0.0.1:1/none", { max: 1, connectionTimeoutMs: 500 });
    const app = createApp({ config: testConfig(), db, logger: pino({ level: "silent" }) });
    const res = await request(app).get("/readyz");
    expect([res.status, res.body.db, res.body.code]).toEqual([503, "down", "SERVICE_UNAVAILABLE"]);
    await db.$disconnect();
  });
});

describe("GET /metrics", () => {
  test("off without METRICS_TOKEN: 404", async () => {
    const env = await startTestApp();
    expect((await request(env.app).get("/metrics").set("Authorization", `Bearer ${TOKEN}`)).status).toBe(404);
    await env.close();
  });

  describe("with METRICS_TOKEN", () => {
    let env: TestEnv;
    beforeAll(async () => {
      env = await startTestApp({ env: { METRICS_TOKEN: TOKEN } });
    });
    afterAll(() => env.close());

    const scrape = async () => {
      const res = await request(env.app).get("/metrics").set("Authorization", `Bearer ${TOKEN}`);
      expect(res.status).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
      return res.text;
    };
    /** The sum of a metric's samples whose labels include `labels` (0 when there is none). */
    const value = (text: string, name: string, labels: Record<string, string> = {}) =>
      text
        .split("\n")
        .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
        .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
        .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);

    test("without the bearer token, or with another one: 401, and nothing leaks", async () => {
      for (const auth of [undefined, "Bearer wrong-token", `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
        const req = request(env.app).get("/metrics");
        const res = await (auth ? req.set("Authorization", auth) : req);
        expect([res.status, res.body.code]).toEqual([401, "UNAUTHENTICATED"]);
        expect(res.text).not.toContain("twofa_");
      }
    });

    test("latency per documented route (ids folded), logins by method and result", async () => {
      const before = await scrape();
      const { email, secret } = await clientWith2FA(env);
      const wrong = await new Client(env.app).init();
      expect((await wrong.post("/auth/login", { email, password: "not the password at all" })).status).toBe(401);
      const login = await startLogin(env, email);
      expect((await login.post("/auth/2fa/verify-login", { code: "000000" })).status).toBe(400);
      expect((await login.post("/auth/2fa/verify-login", { code: codeAt(secret, env) })).status).toBe(200);
      expect((await login.delete("/auth/sessions/not-a-session-id")).status).toBe(404);

      const after = await scrape();
      const delta = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
      expect(delta("twofa_logins_total", { method: "password", result: "failure" })).toBe(1);
      expect(delta("twofa_logins_total", { method: "password", result: "second_factor_required" })).toBe(1);
      expect(delta("twofa_logins_total", { method: "totp", result: "failure" })).toBe(1);
      expect(delta("twofa_logins_total", { method: "totp", result: "success" })).toBe(1);
      expect(delta("twofa_http_request_duration_seconds_count", { method: "POST", route: "/auth/2fa/verify-login", status: "200" })).toBe(1);
      expect(delta("twofa_http_request_duration_seconds_count", { method: "DELETE", route: "/auth/sessions/:id", status: "404" })).toBe(1);
      expect(after).not.toContain("not-a-session-id");
    });

    test("budget locks: refusals counted, the locked account in the gauge", async () => {
      const { email } = await clientWith2FA(env);
      const login = await startLogin(env, email);
      const answers: number[] = [];
      for (let i = 0; i < 7; i++) answers.push((await login.post("/auth/2fa/verify-login", { code: "000000" })).status);
      const refused = answers.filter((s) => s === 429).length;
      expect(refused).toBeGreaterThan(0);
      const text = await scrape();
      expect(value(text, "twofa_budget_locked_answers_total", { route: "/auth/2fa/verify-login" })).toBeGreaterThanOrEqual(refused);
      expect(value(text, "twofa_accounts_locked")).toBeGreaterThanOrEqual(1);
    });

    test("refresh-token reuse and passkey failures", async () => {
      const { client } = await registeredClient(env);
      const stolen = copyBrowser(client);
      expect((await client.post("/auth/refresh")).status).toBe(200);
      expect((await client.post("/auth/refresh")).status).toBe(200);
      const before = await scrape();
      expect((await stolen.post("/auth/refresh")).body.code).toBe("SESSION_REVOKED");
      const afterReuse = await scrape();
      expect(value(afterReuse, "twofa_refresh_token_reuse_total") - value(before, "twofa_refresh_token_reuse_total")).toBe(1);

      const owner = await registeredClient(env, uniqueEmail("passkey"));
      const key = newAuthenticator(env);
      expect((await addPasskey(owner.client, key)).status).toBe(201);
      const login = await startLogin(env, owner.email);
      const res = await login.post("/auth/2fa/verify-login", { passkey: key.authenticate(await passkeyOptions(login), { uv: false }) });
      expect(res.body.code).toBe("PASSKEY_FAILED");
      const afterPasskey = await scrape();
      expect(value(afterPasskey, "twofa_passkey_failures_total") - value(afterReuse, "twofa_passkey_failures_total")).toBe(1);
      expect(value(afterPasskey, "twofa_logins_total", { method: "passkey", result: "failure" })).toBe(1);
    });

    test("the mail outbox: depth and the age of the oldest unsent message (no worker runs here)", async () => {
      await registeredClient(env); // a welcome or security email is queued by the earlier tests anyway
      const depth = value(await scrape(), "twofa_mail_outbox_depth");
      expect(depth).toBeGreaterThan(0);
      expect(depth).toBe(await env.db.mailOutbox.count({ where: { sentAt: null, failedAt: null } }));
      const oldest = await env.db.mailOutbox.findFirstOrThrow({ where: { sentAt: null, failedAt: null }, orderBy: { createdAt: "asc" } });
      env.clock.advance(600);
      const age = value(await scrape(), "twofa_mail_outbox_oldest_age_seconds");
      expect(age).toBeCloseTo((env.clock.now() - oldest.createdAt.getTime()) / 1000, 0);
      expect(age).toBeGreaterThanOrEqual(600);
    });
  });
});
