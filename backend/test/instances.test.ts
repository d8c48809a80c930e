// Two app instances on one database (as two servers behind a load balancer): every rule that
// matters for security lives in PostgreSQL (and Redis for the flood limits), not in memory.
import crypto from "node:crypto";
import pino from "pino";
import { connectRedis, type RedisLike } from "../src/security/redis";
import { Client, clientWith2FA, codeAt, copyBrowser, startLogin, startTestApp, type TestEnv } from "./harness";
import { describeWithRedis, TEST_REDIS_URL } from "./support/redis";


let a: TestEnv;
let b: TestEnv;
beforeAll(async () => {
  a = await startTestApp();
  b = await startTestApp({ share: a });
});
afterAll(async () => {
  await a.close();
  await b.close();
});

/** The same browser (cookies, XSRF token) talking to instance B. */
const moveTo = (client: Client, target: TestEnv) => copyBrowser(client, target.app, client.ip);

test("two instances: a challenge consumed on one is dead on the other", async () => {
  const { email, secret } = await clientWith2FA(a);
  const onA = await startLogin(a, email);
  const onB = moveTo(onA, b);
  expect((await onA.post("/auth/2fa/verify-login", { code: codeAt(secret, a) })).status).toBe(200);
  a.clock.advance(30);
  const res = await onB.post("/auth/2fa/verify-login", { code: codeAt(secret, b) });
  expect(res.status).toBe(401);
  expect(res.body.code).toBe("SESSION_EXPIRED");
});

test("two instances: concurrent verify-login with one challenge split across both → exactly one 200", async () => {
  const { email, secret } = await clientWith2FA(a);
  const onA = await startLogin(a, email);
  const onB = moveTo(onA, b);
  const code = codeAt(secret, a);
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? onA : onB).post("/auth/2fa/verify-login", { code })));
  expect(results.filter((r) => r.status === 200)).toHaveLength(1);
});

test("two instances: the account guessing budget is shared", async () => {
  const { email, secret } = await clientWith2FA(a);
  const onA = await startLogin(a, email);
  const onB = await startLogin(b, email);
  for (let i = 0; i < 3; i++) expect((await onA.post("/auth/2fa/verify-login", { code: "999999" })).status).toBe(400);
  expect((await onB.post("/auth/2fa/verify-login", { code: "999999" })).body.attemptsRemaining).toBe(1);
  expect((await onB.post("/auth/2fa/verify-login", { code: "999999" })).status).toBe(429);
  expect((await (await startLogin(a, email)).post("/auth/2fa/verify-login", { code: codeAt(secret, a) })).status).toBe(429);
});

test("two instances: a session revoked on one is dead on the other at once", async () => {
  const { client, email, secret } = await clientWith2FA(a);
  const onB = await startLogin(b, email);
  expect((await onB.post("/auth/2fa/verify-login", { code: codeAt(secret, b) })).status).toBe(200);
  expect((await client.post("/auth/logout-all")).status).toBe(200);
  expect((await onB.get("/auth/me")).status).toBe(401);
});

describeWithRedis("with REDIS_URL the per-IP flood limits are shared by both instances", () => {
  let redisA: RedisLike;
  let redisB: RedisLike;
  let ra: TestEnv;
  let rb: TestEnv;
  beforeAll(async () => {
    const logger = pino({ level: "silent" });
    redisA = await connectRedis(TEST_REDIS_URL!, logger).catch((err) => {
      throw new Error(`REDIS_URL=${TEST_REDIS_URL} is set but Redis does not answer there: ${err.message}`);
    });
    redisB = await connectRedis(TEST_REDIS_URL!, logger);
    ra = await startTestApp({ share: a, env: { RATE_LIMIT_IP_MAX: "4" }, deps: { redis: redisA } });
    rb = await startTestApp({ share: a, env: { RATE_LIMIT_IP_MAX: "4" }, deps: { redis: redisB } });
  });
  afterAll(async () => {
    await ra.close();
    await rb.close();
    await redisA.quit();
    await redisB.quit();
  });

  // A fresh email too, so its wrong-password budget (PostgreSQL) never speaks before the per-IP limit.
  const nobody = `nobody-${crypto.randomBytes(4).toString("hex")}@example.com`;

  test("4 requests spread over both instances use up the IP's budget on both", async () => {
    const ip = `10.200.${crypto.randomInt(256)}.${crypto.randomInt(1, 255)}`; // fresh key in the shared Redis
    const onA = await new Client(ra.app, ip).init();
    const onB = await new Client(rb.app, ip).init();
    for (const c of [onA, onB, onA, onB]) expect((await c.post("/auth/login", { email: nobody, password: "x" })).status).toBe(401);
    const blockedA = await onA.post("/auth/login", { email: nobody, password: "x" });
    const blockedB = await onB.post("/auth/login", { email: nobody, password: "x" });
    expect(blockedA.status).toBe(429);
    expect(blockedB.status).toBe(429);
    expect(Number(blockedB.headers["retry-after"])).toBeGreaterThan(0);
  });

  test("without Redis (memory store) each instance counts alone — which is why REDIS_URL matters", async () => {
    const ma = await startTestApp({ share: a, env: { RATE_LIMIT_IP_MAX: "2" } });
    const mb = await startTestApp({ share: a, env: { RATE_LIMIT_IP_MAX: "2" } });
    const ip = "10.201.0.1";
    const onA = await new Client(ma.app, ip).init();
    const onB = await new Client(mb.app, ip).init();
    for (const c of [onA, onA]) await c.post("/auth/login", { email: nobody, password: "x" });
    expect((await onA.post("/auth/login", { email: nobody, password: "x" })).status).toBe(429);
    expect((await onB.post("/auth/login", { email: nobody, password: "x" })).status).toBe(401);
    await ma.close();
    await mb.close();
  });
});
