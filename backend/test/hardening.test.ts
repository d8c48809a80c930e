// Hardening (issue 10): each test is written as the attack it stops.
// - rule 14: weak, common or personal passwords are refused; NFKC before hashing and verifying;
// - rule 13: a flood of password work gets fast 503s with Retry-After, never 500s, and nobody
//   else notices; registration has a per-IP limit;
// - rule 15: the per-email failed-login limit tells nobody how close an account is to lockout
//   (the rest of rules 15-18: login-defences.test.ts);
// - JWTs without exp are refused; security events are paginated by a stable cursor;
// - the app's pool has a statement_timeout: a stuck statement is a fast 503, not a hang.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import express from "express";
import jwt from "jsonwebtoken";
import { Client as PgClient } from "pg";
import pino from "pino";
import request from "supertest";
import { checkPassword } from "@twofa/password-policy";
import { createApp } from "../src/app";
import { configurePasswordHashing, hashPassword, PasswordQueueFullError, passwordHashingLoad, verifyPassword } from "../src/auth/password";
import { REPO_ROOT } from "../src/config";
import { createPrisma } from "../src/db/prisma";
import { errorMiddleware, isInfrastructureError } from "../src/http/error-middleware";
import { Client, PASSWORD, registeredClient, startTestApp, TEST_ENV, testConfig, TestClock, uniqueEmail, type TestEnv } from "./harness";

let env: TestEnv;
beforeAll(async () => {
  env = await startTestApp();
});
afterAll(() => env.close());

/** A fixed address per test, where per-IP limits matter (Client picks a random one otherwise). */
let ipSeq = 0;
const nextIp = () => `10.250.${Math.floor(++ipSeq / 250)}.${(ipSeq % 250) + 1}`;

describe("rule 14: password policy (NIST SP 800-63B)", () => {
  const email = "margaret.hamilton@example.com";
  const refused: [string, string, RegExp][] = [
    ["a run of digits", "123456789012", /^is too easy to guess\. This is a commonly used password/],
    ["a repeated word", "passwordpassword", /^is too easy to guess\. .*repeated/i],
    ["twelve spaces", " ".repeat(12), /^is too easy to guess\. .*repeated/i],
    ["the email itself", email, /^must not contain your email address/],
    ["the local part + digits", "margaret.hamilton1969", /^must not contain your email address/],
    ["the local part in other case + digits", "Margaret.Hamilton2024!", /^must not contain your email address/],
    ["11 characters", "Tr0ub4dor&3", /^must be at least 12 characters$/],
    ["1025 characters", "x".repeat(1025), /^must be at most 1024 characters$/],
  ];

  test.each(refused)("register refuses %s: 400 VALIDATION_FAILED naming the password field, no account", async (_label, password, message) => {
    const client = await new Client(env.app).init();
    const res = await client.post("/auth/register", { email, password });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "VALIDATION_FAILED", fields: [{ field: "password", message: expect.stringMatching(message) }] });
    expect(res.body.fields).toHaveLength(1);
    expect(await env.db.user.count({ where: { email } })).toBe(0);
  });

  test("a weak password's message says why and what to do (zxcvbn's feedback)", () => {
    const { message } = checkPassword("123456789012", email);
    expect(message).toBe("is too easy to guess. This is a commonly used password. Add more words that are less common");
  });

  test("an NFD spelling of an NFC password logs in, and so does a full-width one (NFKC before hashing and verifying)", async () => {
    const nfc = "Zoë’s crème brûlée café naïveté".normalize("NFC");
    const nfd = nfc.normalize("NFD");
    expect(nfd).not.toBe(nfc);
    const owner = uniqueEmail("nfkc");
    expect((await (await new Client(env.app).init()).post("/auth/register", { email: owner, password: nfc })).status).toBe(201);
    const login = async (password: string) => (await new Client(env.app).init()).post("/auth/login", { email: owner, password });
    expect((await login(nfd)).status).toBe(200);
    expect((await login(nfc)).status).toBe(200);
    expect((await login("Zoë’s crème brûlée café naivete")).status).toBe(401); // a different password is still wrong

    // ＡＢＣ (full-width) is ABC under NFKC
    const wide = await new Client(env.app).init();
    const wideEmail = uniqueEmail("wide");
    expect((await wide.post("/auth/register", { email: wideEmail, password: "ＯＲＢＩＴ lunar module 1202 alarm" })).status).toBe(201);
    expect((await (await new Client(env.app).init()).post("/auth/login", { email: wideEmail, password: "ORBIT lunar module 1202 alarm" })).status).toBe(200);
  });

  test("every password the other suites register with still passes the rule", () => {
    const read = (file: string, pattern: RegExp) => {
      const match = pattern.exec(fs.readFileSync(path.join(REPO_ROOT, file), "utf8"));
      if (!match) throw new Error(`no password found in ${file}`);
      return match[1];
    };
    const used = {
      "backend/test/harness.ts": PASSWORD,
      "e2e/test/journey.test.mjs": read("e2e/test/journey.test.mjs", /const PASSWORD = "([^"]+)"/),
      "bench/src/lib/seed.js": read("bench/src/lib/seed.js", /export const PASSWORD = "([^"]+)"/),
    };
    for (const [file, password] of Object.entries(used)) {
      expect({ file, ...checkPassword(password, "someone@example.com") }).toMatchObject({ file, ok: true });
    }
  });
});

describe("rule 13: admission control for argon2", () => {
  afterEach(() => configurePasswordHashing(env.config.passwordHashing));

  test("past the queue, hashing is refused at once (503 with retryAfterSeconds), before any hash finishes", async () => {
    configurePasswordHashing({ concurrency: 1, maxQueue: 2 });
    const jobs = Array.from({ length: 6 }, () => hashPassword("a password being hashed").then(() => "hashed", (err: unknown) => err));
    // 1 runs, 2 wait, 3 are refused synchronously: nothing has finished yet
    expect(passwordHashingLoad()).toMatchObject({ running: 1, waiting: 2 });
    const outcomes = await Promise.all(jobs);
    expect(outcomes.filter((o) => o === "hashed")).toHaveLength(3);
    const refusedJobs = outcomes.filter((o) => o instanceof PasswordQueueFullError) as PasswordQueueFullError[];
    expect(refusedJobs).toHaveLength(3);
    expect(refusedJobs[0].toJSON()).toMatchObject({ code: "SERVICE_UNAVAILABLE", retryAfterSeconds: expect.any(Number) });
    expect(passwordHashingLoad()).toMatchObject({ running: 0, waiting: 0 });
    // a wrong password or a broken hash is false, not an error
    expect(await verifyPassword("not-a-hash", "whatever")).toBe(false);
  });

  test("50 concurrent logins and registrations for one account: only 2xx/4xx or a fast 503 with Retry-After; other users and /healthz answer 200", async () => {
    const small = await startTestApp({
      share: env,
      env: { PASSWORD_HASH_CONCURRENCY: "1", PASSWORD_HASH_QUEUE_MAX: "2", RATE_LIMIT_REGISTER_IP_MAX: "1000" },
    });
    const { email } = await registeredClient(small);
    const { client: other } = await registeredClient(small);
    const attackerIp = nextIp();
    const attackers = await Promise.all(Array.from({ length: 50 }, () => new Client(small.app, attackerIp).init()));

    const started = Date.now();
    const flood = attackers.map((c, i) =>
      c
        .post(i % 2 ? "/auth/login" : "/auth/register", { email, password: PASSWORD })
        .then((res) => ({ status: res.status, body: res.body, retryAfter: res.headers["retry-after"], ms: Date.now() - started })),
    );
    const bystanders = [
      ...Array.from({ length: 5 }, () => other.get("/auth/me")),
      ...Array.from({ length: 5 }, () => request(small.app).get("/healthz")),
    ];
    const [answers, others] = await Promise.all([Promise.all(flood), Promise.all(bystanders)]);

    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s >= 500 && s !== 503)).toEqual([]);
    expect(statuses.every((s) => [200, 201, 409, 429, 503].includes(s))).toBe(true);
    const unavailable = answers.filter((a) => a.status === 503);
    expect(unavailable.length).toBeGreaterThan(0); // the queue really was full
    for (const a of unavailable) {
      expect(a.body).toMatchObject({ code: "SERVICE_UNAVAILABLE", retryAfterSeconds: expect.any(Number) });
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    expect(statuses.filter((s) => s === 200 || s === 409).length).toBeGreaterThan(0); // and work still got done
    expect(others.map((r) => r.status)).toEqual(Array(10).fill(200));
    if (process.env.HARDENING_REPORT) {
      const slowest = (status: number) => Math.max(...answers.filter((a) => a.status === status).map((a) => a.ms));
      console.log(JSON.stringify({ statuses: statuses.reduce<Record<number, number>>((n, s) => ({ ...n, [s]: (n[s] ?? 0) + 1 }), {}), slowest503: slowest(503), slowestAll: Math.max(...answers.map((a) => a.ms)) }));
    }
    await small.close();
  });
});

describe("rule 13: registrations per IP", () => {
  test("the 21st registration from one IP in an hour → 429 with Retry-After; another IP still registers", async () => {
    const ip = nextIp();
    for (let i = 0; i < 20; i++) {
      const res = await (await new Client(env.app, ip).init()).post("/auth/register", { email: uniqueEmail("farm"), password: PASSWORD });
      expect(res.status).toBe(201);
    }
    const blocked = await (await new Client(env.app, ip).init()).post("/auth/register", { email: uniqueEmail("farm"), password: PASSWORD });
    expect(blocked.status).toBe(429);
    expect(blocked.body).toMatchObject({ code: "TOO_MANY_REQUESTS", retryAfterSeconds: expect.any(Number) });
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(3500);
    expect(Number(blocked.headers["retry-after"])).toBeLessThanOrEqual(3600);
    expect(await env.db.user.count({ where: { email: { startsWith: "farm-" } } })).toBe(20);

    const elsewhere = await (await new Client(env.app, nextIp()).init()).post("/auth/register", { email: uniqueEmail("farm"), password: PASSWORD });
    expect(elsewhere.status).toBe(201);
  });
});

describe("rule 15: the per-email failed-login limit", () => {
  test("exposes no remaining count: no RateLimit header ever carries its limit, even when it blocks", async () => {
    const limited = await startTestApp({ share: env, env: { RATE_LIMIT_IP_MAX: "50", RATE_LIMIT_EMAIL_FAILURES: "3" } });
    const { email } = await registeredClient(limited);
    const ip = nextIp();
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await (await new Client(limited.app, ip).init()).post("/auth/login", { email, password: "a wrong password here" }));
    expect(answers.map((r) => r.status)).toEqual([401, 401, 401, 429]);
    expect(answers[3].headers["retry-after"]).toBeDefined();
    for (const res of answers) {
      // only the per-IP limiter (50 per 15 min) may speak in these headers
      const exposed = Object.entries(res.headers).filter(([name]) => /^(x-)?ratelimit/i.test(name));
      for (const [name, value] of exposed) expect(`${name}: ${value}`).not.toMatch(/limit=3\b|^ratelimit-policy: 3;|-limit: 3$/i);
      if (res.headers["ratelimit-policy"] !== undefined) expect(res.headers["ratelimit-policy"]).toBe("50;w=900");
    }
    await limited.close();
  });
});

describe("tokens", () => {
  test("an access token signed with the right key but without exp → 401 (with exp, the same claims → 200)", async () => {
    const { client } = await registeredClient(env);
    const genuine = client.cookie("access_token")!;
    const { exp, ...claims } = jwt.decode(genuine) as jwt.JwtPayload;
    expect(typeof exp).toBe("number");
    // signed by hand: jsonwebtoken itself would refuse to sign a non-numeric exp
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const sign = (payload: object) => {
      const unsigned = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(payload)}`;
      return `${unsigned}.${crypto.createHmac("sha256", TEST_ENV.JWT_ACCESS_SECRET).update(unsigned).digest("base64url")}`;
    };
    const me = (token: string) => request(env.app).get("/auth/me").set("Cookie", `access_token=${token}`);
    expect((await me(sign({ ...claims, exp }))).status).toBe(200);
    const forever = await me(sign(claims));
    expect(forever.status).toBe(401);
    expect(forever.body.code).toBe("UNAUTHENTICATED");
    expect((await me(sign({ ...claims, exp: String(exp) }))).status).toBe(401);
  });
});

describe("security events: pages by a stable cursor (finding 7)", () => {
  type Page = { events: { id: string; type: string; createdAt: string }[]; nextCursor: string | null };
  const allPages = async (client: Client, limit?: number) => {
    const pages: Page[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ ...(limit ? { limit: String(limit) } : {}), ...(cursor ? { before: cursor } : {}) });
      const res = await client.get(`/auth/security-events?${query}`);
      expect(res.status).toBe(200);
      pages.push(res.body);
      cursor = res.body.nextCursor;
    } while (cursor && pages.length < 50);
    return pages;
  };

  test("120 events, 7 to a millisecond → pages of 50/50/20, newest first, no duplicates or gaps", async () => {
    const { client, userId } = await registeredClient(env);
    const { userId: otherId } = await registeredClient(env);
    await env.db.auditEvent.deleteMany({ where: { userId } });
    const base = Date.UTC(2026, 0, 1);
    // ties on createdAt straddle both page boundaries (events 49/50 and 99/100 share a millisecond)
    const rows = Array.from({ length: 120 }, (_, i) => ({ userId, type: "LOGIN_FAILURE" as const, createdAt: new Date(base - Math.floor(i / 7)), detail: { n: i } }));
    await env.db.auditEvent.createMany({ data: rows });
    await env.db.auditEvent.createMany({ data: rows.slice(0, 30).map((r) => ({ ...r, userId: otherId })) });

    const pages = await allPages(client); // default limit
    expect(pages.map((p) => p.events.length)).toEqual([50, 50, 20]);
    expect(pages.map((p) => p.nextCursor === null)).toEqual([false, false, true]);
    const events = pages.flatMap((p) => p.events);
    const ids = events.map((e) => e.id);
    expect(new Set(ids).size).toBe(120);
    const stored = await env.db.auditEvent.findMany({ where: { userId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], select: { id: true } });
    expect(ids).toEqual(stored.map((r) => r.id));
    // newest first
    const times = events.map((e) => Date.parse(e.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    // other page sizes walk the same list
    expect((await allPages(client, 7)).flatMap((p) => p.events.map((e) => e.id))).toEqual(ids);
    expect((await allPages(client, 100)).map((p) => p.events.length)).toEqual([100, 20]);
  });

  test("an attacker's 60 failed logins cannot hide older events", async () => {
    const loose = await startTestApp({ share: env, env: { RATE_LIMIT_EMAIL_FAILURES: "1000", RATE_LIMIT_IP_MAX: "1000" } });
    const { client, email, userId } = await registeredClient(loose);
    const before = await loose.db.auditEvent.findMany({ where: { userId }, select: { id: true, type: true } });
    expect(before.map((e) => e.type)).toContain("REGISTERED");
    for (let i = 0; i < 60; i++) {
      const res = await (await new Client(loose.app).init()).post("/auth/login", { email, password: `guess number ${i} for this account` });
      expect(res.status).toBe(401);
    }
    const first = (await client.get("/auth/security-events")).body as Page;
    expect(first.events).toHaveLength(50);
    expect(first.events.every((e) => e.type === "LOGIN_FAILURE")).toBe(true);
    const seen = (await allPages(client)).flatMap((p) => p.events);
    expect(seen.filter((e) => e.type === "LOGIN_FAILURE")).toHaveLength(60);
    for (const old of before) expect(seen.map((e) => e.id)).toContain(old.id);
    expect(seen).toHaveLength(await loose.db.auditEvent.count({ where: { userId } }));
    await loose.close();
  });

  test.each([
    ["limit=0"],
    ["limit=101"],
    ["limit=abc"],
    ["limit=1.5"],
    ["limit=-1"],
    ["limit="],
    ["limit=1&limit=2"],
    ["before=not%20a%20cursor"],
    [`before=${Buffer.from("yesterday:abc").toString("base64url")}`],
    [`before=${Buffer.from("1700000000000:").toString("base64url")}`],
    ["before=a&before=b"],
  ])("?%s → 400 VALIDATION_FAILED", async (query) => {
    const { client } = await registeredClient(env);
    const res = await client.get(`/auth/security-events?${query}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "VALIDATION_FAILED", fields: [{ field: expect.stringMatching(/^(limit|before)$/), message: expect.any(String) }] });
  });
});

describe("statement_timeout on the app's pool", () => {
  test("pg_sleep longer than the timeout is cancelled by PostgreSQL and answered 503 with Retry-After, fast", async () => {
    const db = createPrisma(env.url, { max: 2, statementTimeoutMs: 300 });
    try {
      const [{ statement_timeout }] = await db.$queryRaw<{ statement_timeout: string }[]>`SHOW statement_timeout`;
      expect(statement_timeout).toBe("300ms");
      const app = express();
      app.get("/slow", async (_req, res) => {
        await db.$queryRaw`SELECT pg_sleep(10)`;
        res.json({ slept: true });
      });
      app.use(errorMiddleware);
      const started = Date.now();
      const res = await request(app).get("/slow");
      const elapsed = Date.now() - started;
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: "SERVICE_UNAVAILABLE", retryAfterSeconds: expect.any(Number) });
      expect(res.headers["retry-after"]).toBeDefined();
      expect(elapsed).toBeLessThan(5000); // not the 10 s of the sleep: the server cancelled it
      // and the connection is usable again
      expect(await db.$queryRaw`SELECT 1 AS one`).toEqual([{ one: 1 }]);
    } finally {
      await db.$disconnect();
    }
  });

  test("a registration stuck behind another transaction's uncommitted row answers 503, then works once the lock is gone", async () => {
    const db = createPrisma(env.url, { max: 3, statementTimeoutMs: 300 });
    const app = createApp({ config: testConfig(), db, clock: new TestClock(), logger: pino({ level: "silent" }) });
    const holder = new PgClient({ connectionString: env.url });
    await holder.connect();
    const email = uniqueEmail("locked");
    try {
      await holder.query("BEGIN");
      await holder.query(`INSERT INTO "User" ("id", "email", "passwordHash", "updatedAt") VALUES ($1, $2, 'x', now())`, [`lock-${Date.now()}`, email]);
      const client = await new Client(app).init();
      const started = Date.now();
      const stuck = await client.post("/auth/register", { email, password: PASSWORD });
      expect(stuck.status).toBe(503);
      expect(stuck.headers["retry-after"]).toBeDefined();
      expect(Date.now() - started).toBeLessThan(5000);
      await holder.query("ROLLBACK");
      const again = await (await new Client(app).init()).post("/auth/register", { email, password: PASSWORD });
      expect(again.status).toBe(201);
    } finally {
      await holder.query("ROLLBACK").catch(() => undefined);
      await holder.end();
      await db.$disconnect();
    }
  });

  test("the error it raises (SQLSTATE 57014) counts as 'database unavailable', not a bug", async () => {
    const db = createPrisma(env.url, { max: 1, statementTimeoutMs: 100 });
    try {
      const err = await db.$queryRaw`SELECT pg_sleep(5)`.then(() => null, (e: unknown) => e);
      expect(err).not.toBeNull();
      expect(isInfrastructureError(err)).toBe(true);
    } finally {
      await db.$disconnect();
    }
  });
});
