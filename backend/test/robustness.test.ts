// Bad input, faults and secrecy: a client's mistake is a 4xx that changes nothing; a dead
// dependency is a fast 503 that heals by itself; secrets never reach the logs.
import { Writable } from "node:stream";
import pino from "pino";
import request from "supertest";
import { createApp } from "../src/app";
import { LOG_REDACT_PATHS } from "../src/app";
import { createPrisma } from "../src/db/prisma";
import { connectRedis } from "../src/security/redis";
import { storeFor } from "../src/security/rate-limit";
import { Client, clientWith2FA, codeAt, PASSWORD, registeredClient, startLogin, startTestApp, testConfig, TestClock, uniqueEmail, twoFactorOn, type TestEnv } from "./harness";
import { describeWithRedis, testRedisAddress } from "./support/redis";
import { TcpProxy } from "./tcp-proxy";

let env: TestEnv;
beforeAll(async () => {
  env = await startTestApp();
});
afterAll(() => env.close());

const BAD_CODES: unknown[] = [123456, ["123456"], "12345", "1234567", "١٢٣٤٥٦", "１２３４５６", null, "12345a", " ", "", { $gt: "" }, true];

describe("bad input on every 2FA endpoint → 400 JSON, nothing changed", () => {
  test.each(BAD_CODES.map((c) => [JSON.stringify(c), c]))("verify-login {code: %s}", async (_label, code) => {
    const { email, userId } = await clientWith2FA(env);
    const client = await startLogin(env, email);
    const before = await env.db.user.findUniqueOrThrow({ where: { id: userId } });
    const res = await client.post("/auth/2fa/verify-login", { code });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("VALIDATION_FAILED");
    expect(await env.db.user.findUniqueOrThrow({ where: { id: userId } })).toEqual(before);
    const challenge = await env.db.loginChallenge.findFirstOrThrow({ where: { userId } });
    expect(challenge).toMatchObject({ consumedAt: null, failedAttempts: 0 });
  });

  test("verify-login with both proofs, or neither, or a non-object body", async () => {
    const { email } = await clientWith2FA(env);
    const client = await startLogin(env, email);
    for (const body of [{ code: "123456", backupCode: "abcd-efgh" }, {}, [], "123456", { backupCode: 12345678 }, { backupCode: "x".repeat(100) }]) {
      const res = await client.post("/auth/2fa/verify-login", body);
      expect(res.status).toBe(400);
      expect(res.body.code).toMatch(/VALIDATION_FAILED|MALFORMED_JSON/);
    }
  });

  test.each(BAD_CODES.map((c) => [JSON.stringify(c), c]))("enable / disable / backup-codes with {code|token: %s}", async (_label, code) => {
    const { client: fresh, userId: freshId } = await registeredClient(env);
    await fresh.post("/auth/2fa/setup", {});
    const enable = await fresh.post("/auth/2fa/enable", { token: code });
    expect(enable.status).toBe(400);
    expect(enable.body.code).toBe("VALIDATION_FAILED");
    expect((await twoFactorOn(env, freshId))).toBe(false);

    const { client, userId } = await clientWith2FA(env);
    const before = await env.db.user.findUniqueOrThrow({ where: { id: userId } });
    for (const [path, body] of [["/auth/2fa/disable", { password: PASSWORD, code }], ["/auth/2fa/backup-codes", { code }]] as const) {
      const res = await client.post(path, body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe("VALIDATION_FAILED");
    }
    expect(await env.db.user.findUniqueOrThrow({ where: { id: userId } })).toEqual(before);
  });

  test("setup with a non-string password; disable with a number password", async () => {
    const { client } = await registeredClient(env);
    expect((await client.post("/auth/2fa/setup", { password: 12 })).status).toBe(400);
    const { client: on } = await clientWith2FA(env);
    expect((await on.post("/auth/2fa/disable", { password: 12 })).status).toBe(400);
    expect((await on.post("/auth/2fa/disable", { password: null })).status).toBe(400);
  });

  test("every authenticated 2FA endpoint without a session → 401 JSON", async () => {
    const client = await new Client(env.app).init();
    for (const path of ["/auth/2fa/setup", "/auth/2fa/enable", "/auth/2fa/disable", "/auth/2fa/backup-codes"]) {
      const res = await client.post(path, {});
      expect(res.status).toBe(401);
      expect(res.body.code).toBe("UNAUTHENTICATED");
    }
    expect((await client.get("/auth/2fa/status")).status).toBe(401);
    expect((await client.get("/auth/security-events")).status).toBe(401);
  });
});

describe("faults: database down → fast 503, then it heals by itself", () => {
  test("healthz, login and me answer 503 while PostgreSQL is unreachable, 200 again after", async () => {
    const target = new URL(env.url);
    const proxy = await new TcpProxy(target.hostname, Number(target.port || 5432)).start();
    const proxied = new URL(env.url);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(proxy.port);
    const db = createPrisma(proxied.toString(), { max: 3 });
    const app = createApp({ config: testConfig(), db, clock: new TestClock(), logger: pino({ level: "silent" }) });
    try {
      const client = await new Client(app).init();
      const email = uniqueEmail();
      expect((await client.post("/auth/register", { email, password: PASSWORD })).status).toBe(201);
      expect((await request(app).get("/healthz")).status).toBe(200);

      await proxy.cut();
      const started = Date.now();
      const health = await request(app).get("/healthz");
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ db: "down" });
      const login = await client.post("/auth/login", { email, password: PASSWORD });
      expect(login.status).toBe(503);
      expect(login.body.code).toBe("SERVICE_UNAVAILABLE");
      expect(login.headers["retry-after"]).toBeDefined();
      expect((await client.get("/auth/me")).status).toBe(503);
      expect(Date.now() - started).toBeLessThan(15_000); // fails fast (connect timeout 3 s), never hangs

      await proxy.restore();
      expect((await request(app).get("/healthz")).status).toBe(200);
      expect((await client.post("/auth/login", { email, password: PASSWORD })).status).toBe(200);
      expect((await client.get("/auth/me")).status).toBe(200);
    } finally {
      await db.$disconnect();
      await proxy.stop();
    }
  });
});

describeWithRedis("faults: Redis down → flood limits fail open, nothing crashes", () => {
  test("requests keep working while Redis is unreachable and limits count again once it is back", async () => {
    const proxy = await new TcpProxy(testRedisAddress().host, testRedisAddress().port).start();
    const redis = await connectRedis(`redis://127.0.0.1:${proxy.port}`, pino({ level: "silent" }));
    const limited = await startTestApp({ share: env, env: { RATE_LIMIT_IP_MAX: "2" }, deps: { redis } });
    const nobody = uniqueEmail("nobody");
    try {
      const client = await new Client(limited.app, `10.202.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`).init();
      await proxy.cut();
      for (let i = 0; i < 4; i++) {
        // over the limit of 2, but the store is unreachable: let through (the PostgreSQL budget still guards codes)
        expect((await client.post("/auth/login", { email: nobody, password: "x" })).status).toBe(401);
      }
      await proxy.restore();
      await waitForRedis(redis); // node-redis reconnects by itself
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await client.post("/auth/login", { email: nobody, password: "x" })).status);
      expect(statuses).toContain(429);
    } finally {
      await limited.close();
      await redis.quit();
      await proxy.stop();
    }
  });

  // rate-limit-redis loads its scripts when a store is built; a load that failed used to be an
  // unhandled rejection ("Socket closed unexpectedly" / "The client is offline"), which ends a
  // Node process and failed this file on Node 24 (see security/redis.ts).
  test("stores whose script loads are cut in flight, and an app built while Redis is down: no unhandled rejection, fail open, then limits count again", async () => {
    const proxy = await new TcpProxy(testRedisAddress().host, testRedisAddress().port).start();
    const redis = await connectRedis(`redis://127.0.0.1:${proxy.port}`, pino({ level: "silent" }));
    let limited: TestEnv | undefined;
    try {
      const inFlight = ["cut-a", "cut-b", "cut-c"].map((prefix) => storeFor(redis, prefix));
      await proxy.cut(); // their SCRIPT LOADs are written, not answered
      expect(inFlight).toHaveLength(3);
      limited = await startTestApp({ share: env, env: { RATE_LIMIT_IP_MAX: "2" }, deps: { redis } }); // built offline
      const client = await new Client(limited.app, `10.203.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`).init();
      const nobody = uniqueEmail("nobody");
      for (let i = 0; i < 4; i++) expect((await client.post("/auth/login", { email: nobody, password: "x" })).status).toBe(401);
      await proxy.restore();
      await waitForRedis(redis);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await client.post("/auth/login", { email: nobody, password: "x" })).status);
      expect(statuses).toContain(429);
    } finally {
      await limited?.close();
      await redis.quit();
      await proxy.stop();
    }
  });

  test("while Redis is down the store errors are one warning in the app's log, not a stack trace per request on stderr", async () => {
    const proxy = await new TcpProxy(testRedisAddress().host, testRedisAddress().port).start();
    const redis = await connectRedis(`redis://127.0.0.1:${proxy.port}`, pino({ level: "silent" }));
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const stderr = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const limited = await startTestApp({ share: env, deps: { redis, logger: pino({ level: "warn" }, sink) } });
    try {
      const client = await new Client(limited.app).init();
      await proxy.cut();
      for (let i = 0; i < 5; i++) expect((await client.post("/auth/login", { email: uniqueEmail("nobody"), password: "x" })).status).toBe(401);
      expect(stderr).not.toHaveBeenCalled();
      const warnings = lines.map((l) => JSON.parse(l)).filter((l) => /error from store/.test(l.msg));
      expect(warnings).toHaveLength(1); // once a minute for the same error, not once per request and limiter
      expect(warnings[0].err.message).toMatch(/offline|closed|ECONNRESET/i);
    } finally {
      stderr.mockRestore();
      await limited.close();
      await redis.quit();
      await proxy.stop();
    }
  });

  test("quit() while Redis is unreachable closes the client (it does not go on reconnecting)", async () => {
    const proxy = await new TcpProxy(testRedisAddress().host, testRedisAddress().port).start();
    const redis = await connectRedis(`redis://127.0.0.1:${proxy.port}`, pino({ level: "silent" }));
    await proxy.cut();
    await redis.quit();
    await proxy.restore();
    await new Promise((r) => setTimeout(r, 300)); // longer than the first reconnect delays
    await expect(redis.sendCommand(["PING"])).rejects.toThrow(/closed/i);
    await proxy.stop();
  });
});

/** Polls until the client has reconnected (bounded): waiting for a condition, not a fixed sleep. */
async function waitForRedis(redis: { sendCommand(args: string[]): Promise<unknown> }) {
  for (let i = 0; i < 100; i++) {
    if (await redis.sendCommand(["PING"]).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("redis did not reconnect");
}

describe("secrets never reach the logs", () => {
  test("a whole journey logs no password, TOTP secret, code, backup code or token", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const logger = pino({ level: "trace", redact: { paths: LOG_REDACT_PATHS, censor: "[redacted]" } }, sink);
    const logged = await startTestApp({ share: env, deps: { logger } });
    const { client, email, secret, backupCodes } = await clientWith2FA(logged);
    const login = await startLogin(logged, email);
    const code = codeAt(secret, logged);
    await login.post("/auth/2fa/verify-login", { code: "000000" });
    await login.post("/auth/2fa/verify-login", { code });
    const backup = await startLogin(logged, email);
    await backup.post("/auth/2fa/verify-login", { backupCode: backupCodes[0] });
    const tokens = [client.cookie("access_token"), client.cookie("refresh_token"), login.cookie("access_token")].filter(Boolean) as string[];
    const text = lines.join("\n");
    expect(lines.length).toBeGreaterThan(5);
    for (const needle of [PASSWORD, secret, code, ...backupCodes, ...tokens]) expect(text).not.toContain(needle);
    await logged.close();
  });
});

describe("faults: what counts as 'database unavailable' (503, never 500)", () => {
  test("a query whose connection is killed mid-flight (as when PostgreSQL stops) is recognised", async () => {
    const { isInfrastructureError } = await import("../src/http/error-middleware");
    const db = createPrisma(env.url, { max: 1 });
    try {
      const [{ pid }] = await db.$queryRaw<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
      const pending = db.$queryRaw`SELECT pg_sleep(10)`.then(
        () => null,
        (err: unknown) => err,
      );
      // wait (bounded) until the server is really running the sleep, then kill that backend
      for (let i = 0; i < 200; i++) {
        const [row] = await env.db.$queryRaw<{ active: boolean }[]>`SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = ${pid}::int AND query LIKE '%pg_sleep%') AS active`;
        if (row.active) break;
        await new Promise((r) => setImmediate(r));
      }
      await env.db.$queryRaw`SELECT pg_terminate_backend(${pid}::int)`;
      const err = await pending;
      expect(err).not.toBeNull();
      expect(isInfrastructureError(err)).toBe(true);
    } finally {
      await db.$disconnect();
    }
  });

  test("client mistakes and ordinary query errors are not infrastructure errors", async () => {
    const { isInfrastructureError } = await import("../src/http/error-middleware");
    const err = await env.db.$queryRaw`SELECT 1/0`.then(() => null, (e: unknown) => e);
    expect(err).not.toBeNull();
    expect(isInfrastructureError(err)).toBe(false);
    expect(isInfrastructureError(new Error("boom"))).toBe(false);
    expect(isInfrastructureError({ code: "ECONNREFUSED" })).toBe(true);
    expect(isInfrastructureError({ meta: { driverAdapterError: { cause: { kind: "ConnectionClosed" } } } })).toBe(true);
    expect(isInfrastructureError({ meta: { driverAdapterError: { cause: { kind: "postgres", originalCode: "57P01" } } } })).toBe(true);
  });
});
