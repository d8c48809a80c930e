// Login defences (issue 18, findings 2-4; DESIGN §6 rules 15-18), each test written as the attack:
// - rule 16: every sign-in leaves a device cookie; its browser is never refused by the per-email
//   lock for its own user, and a stolen copy buys at most its own budget of 5 wrong passwords;
// - rule 17: the per-email budget lives in PostgreSQL: bursts, two instances, Redis down;
// - rule 18: a login lock is visible to admins, lifted by unlock and by a password reset, and
//   emailed to the owner once;
// - the lock answers alike for known and unknown addresses; a remembered device (trusted_device)
//   lifts no limit, and its sign-in from a new address emails the owner.
import crypto from "node:crypto";
import pino from "pino";
import { createUser } from "../src/auth/users";
import { connectRedis } from "../src/security/redis";
import { DEVICE_COOKIE_FAILURES } from "../src/security/device-cookie";
import { emailHash } from "../src/security/login-budget";
import { generateTotp } from "../src/two-factor/totp/totp";
import { Client, clientWith2FA, codeAt, copyBrowser, PASSWORD, registeredClient, startLogin, startTestApp, stepUp, uniqueEmail, type TestEnv } from "./harness";
import { useAppWithMail, type MailCapture } from "./smtp";
import { TcpProxy } from "./tcp-proxy";

const LIMIT = 10; // RATE_LIMIT_EMAIL_FAILURES' default, as in finding 2
const WRONG = "not the password at all";

let env: TestEnv;
let mail: MailCapture;
useAppWithMail((e, m) => ((env = e), (mail = m)));

let ipCounter = 0;
/** A fresh address for every request of an attacker (finding 2: 11 wrong logins from 11 IPs). */
const nextIp = () => `10.${180 + (Math.floor(ipCounter / 65_000) % 50)}.${Math.floor(++ipCounter / 250) % 250}.${(ipCounter % 250) + 1}`;
const stranger = (target: TestEnv = env) => new Client(target.app, nextIp()).init();
const login = (client: Client, email: string, password: string) => client.post("/auth/login", { email, password });

/** `n` wrong passwords for `email`, each from a new browser at a new address; their statuses. */
async function wrongLogins(email: string, n: number, target: TestEnv = env) {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await login(await stranger(target), email, WRONG)).status);
  return statuses;
}

const times = (n: number, status: number) => Array<number>(n).fill(status);

/** A browser holding only the given cookies (what a thief copied), at a new address. */
async function browserWith(cookies: Record<string, string>, target: TestEnv = env) {
  const client = await stranger(target);
  for (const [name, value] of Object.entries(cookies)) {
    client.agent.jar.setCookie(`${name}=${value}; Path=${name === "trusted_device" ? "/auth/login" : "/auth"}`, "127.0.0.1", "/");
  }
  return client;
}

/** A user who signed in on their browser, then signed out (the device cookie stays). */
async function ownerOnKnownBrowser(target: TestEnv = env) {
  const owner = await registeredClient(target);
  expect(owner.client.cookie("device")).toMatch(/^[A-Za-z0-9_-]{22}\.[a-z0-9]+\.[A-Za-z0-9_-]{43}$/);
  expect((await owner.client.post("/auth/logout")).status).toBe(200);
  return owner;
}

/** A 2FA user whose browser was remembered at the code step (trusted_device) and signed out. */
async function ownerWithRememberedBrowser() {
  const { email, secret, userId } = await clientWith2FA(env);
  const browser = await startLogin(env, email);
  expect((await browser.post("/auth/2fa/verify-login", { code: codeAt(secret, env), rememberDevice: true })).status).toBe(200);
  expect(browser.cookie("trusted_device")).toBeDefined();
  expect((await browser.post("/auth/logout")).status).toBe(200);
  env.clock.advance(30);
  return { email, secret, userId, browser };
}

const failuresOf = async (userId: string) => env.db.auditEvent.count({ where: { userId, type: "LOGIN_FAILURE" } });
const mailsOf = (userId: string, template: string) => env.db.mailOutbox.findMany({ where: { userId, template }, orderBy: { createdAt: "asc" } });

describe("rule 16: device cookies — the owner's known browser is never locked out, a stolen one buys at most 5 guesses", () => {
  test("finding 2 replayed: 11 wrong logins from 11 IPs → a browser without a device cookie gets 429 even with the right password; the owner's browser gets in", async () => {
    const { client: owner, email } = await ownerOnKnownBrowser();
    expect(await wrongLogins(email, 11)).toEqual([...times(LIMIT, 401), 429]);

    const elsewhere = await login(await stranger(), email, PASSWORD);
    expect(elsewhere.status).toBe(429);
    expect(elsewhere.body.code).toBe("TOO_MANY_REQUESTS");
    expect(Number(elsewhere.headers["retry-after"])).toBe(15 * 60);

    const mine = await login(owner, email, PASSWORD);
    expect(mine.status).toBe(200);
    expect(mine.body.user.email).toBe(email);
    // and again after that sign-in, with the device cookie it was given in exchange
    await owner.post("/auth/logout");
    expect((await login(owner, email, PASSWORD)).status).toBe(200);
  });

  test("a 2FA owner on the browser where they completed the code step reaches the code step through the lock", async () => {
    const { email, secret } = await clientWith2FA(env);
    const browser = await startLogin(env, email);
    expect((await browser.post("/auth/2fa/verify-login", { code: codeAt(secret, env) })).status).toBe(200);
    await browser.post("/auth/logout");
    env.clock.advance(30);
    expect(await wrongLogins(email, 11)).toEqual([...times(LIMIT, 401), 429]);
    const mine = await login(browser, email, PASSWORD);
    expect(mine.body).toEqual({ requires2FA: true, methods: ["totp", "backup_code"] });
    expect((await browser.post("/auth/2fa/verify-login", { code: codeAt(secret, env) })).status).toBe(200);
  });

  test("every sign-in replaces the device cookie: a copy taken before it no longer lifts the lock", async () => {
    const { client: owner, email } = await ownerOnKnownBrowser();
    const copied = { device: owner.cookie("device")! };
    expect((await login(owner, email, PASSWORD)).status).toBe(200);
    expect(owner.cookie("device")).not.toBe(copied.device);
    await wrongLogins(email, LIMIT);
    expect((await login(await browserWith(copied), email, PASSWORD)).status).toBe(429);
    await owner.post("/auth/logout");
    expect((await login(owner, email, PASSWORD)).status).toBe(200);
  });

  test("finding 3 replayed: a stolen device cookie buys 5 wrong passwords, then it is dead and the attempt falls under the per-email lock", async () => {
    const { client: owner, email, userId } = await ownerOnKnownBrowser();
    await wrongLogins(email, LIMIT); // the email is locked for strangers
    const thief = await browserWith({ device: owner.cookie("device")! });
    const guesses: number[] = [];
    for (let i = 0; i < DEVICE_COOKIE_FAILURES; i++) guesses.push((await login(thief, email, `${WRONG} ${i}`)).status);
    expect(guesses).toEqual(times(DEVICE_COOKIE_FAILURES, 401));
    // the 6th, even with the right password: the cookie is spent, the email is locked
    expect((await login(thief, email, PASSWORD)).status).toBe(429);
    expect((await login(owner, email, PASSWORD)).status).toBe(429); // the same cookie: dead for its owner too
    expect(await failuresOf(userId)).toBe(LIMIT + DEVICE_COOKIE_FAILURES);

    // dead for good: once the email's window is over, the cookie's wrong passwords count against the email
    env.clock.advance(15 * 60);
    expect((await login(thief, email, WRONG)).status).toBe(401);
    expect(await env.db.loginBudget.findUnique({ where: { emailHash: emailHash(email) } })).toMatchObject({ failures: 1 });
    // and a right password with it is an ordinary sign-in that leaves a new, live cookie
    expect((await login(owner, email, PASSWORD)).status).toBe(200);
    expect(await env.db.loginBudget.findUnique({ where: { emailHash: emailHash(email) } })).toMatchObject({ failures: 1 });
  });

  test("a right password with a device cookie gives its attempt back: the owner's typos do not add up across password steps", async () => {
    const { email, secret } = await clientWith2FA(env);
    const browser = await startLogin(env, email);
    expect((await browser.post("/auth/2fa/verify-login", { code: codeAt(secret, env) })).status).toBe(200);
    await browser.post("/auth/logout");
    await wrongLogins(email, LIMIT);
    // the password step of a 2FA account issues no new cookie: only the give-back keeps this one alive
    for (let i = 0; i < DEVICE_COOKIE_FAILURES - 1; i++) expect((await login(browser, email, WRONG)).status).toBe(401);
    for (let i = 0; i < 3; i++) expect((await login(browser, email, PASSWORD)).body).toEqual({ requires2FA: true, methods: ["totp", "backup_code"] });
    expect((await login(browser, email, WRONG)).status).toBe(401); // the 5th wrong one
    expect((await login(browser, email, PASSWORD)).status).toBe(429); // spent: under the email's lock now
  });

  test("another user's device cookie, a forged one and a tampered one give no exemption", async () => {
    const victim = await ownerOnKnownBrowser();
    const other = await ownerOnKnownBrowser();
    await wrongLogins(victim.email, LIMIT);
    const theirs = other.client.cookie("device")!;
    const [id, , signature] = theirs.split(".");
    const [ownId, ownUser, ownSignature] = victim.client.cookie("device")!.split(".");
    const candidates = {
      "another user's": theirs,
      "another user's, renamed to the victim": `${id}.${victim.userId}.${signature}`,
      "forged for the victim": `${crypto.randomBytes(16).toString("base64url")}.${victim.userId}.${crypto.randomBytes(32).toString("base64url")}`,
      "the victim's own, signature altered": `${ownId}.${ownUser}.${ownSignature[0] === "A" ? "B" : "A"}${ownSignature.slice(1)}`,
    };
    for (const [label, device] of Object.entries(candidates)) {
      const res = await login(await browserWith({ device }), victim.email, PASSWORD);
      expect(`${label}: ${res.status}`).toBe(`${label}: 429`);
    }
    // the genuine one still works
    expect((await login(victim.client, victim.email, PASSWORD)).status).toBe(200);
    // and the other user's own cookie still signs the other user in
    expect((await login(other.client, other.email, PASSWORD)).status).toBe(200);
  });
});

describe("rule 17: the per-email password budget lives in PostgreSQL", () => {
  test("a concurrent burst of 30 wrong logins from 30 IPs: exactly the limit is evaluated, the rest is 429 unjudged", async () => {
    const { email, userId } = await registeredClient(env);
    const clients = await Promise.all(Array.from({ length: 30 }, () => stranger()));
    const answers = await Promise.all(clients.map((c) => login(c, email, WRONG)));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([...times(LIMIT, 401), ...times(30 - LIMIT, 429)]);
    expect(await failuresOf(userId)).toBe(LIMIT);
    expect((await login(await stranger(), email, PASSWORD)).status).toBe(429);
  });

  test("the lock holds across two app instances on one database", async () => {
    const other = await startTestApp({ share: env });
    try {
      const { client: owner, email } = await ownerOnKnownBrowser();
      const half = LIMIT / 2;
      expect([...(await wrongLogins(email, half)), ...(await wrongLogins(email, half, other))]).toEqual(times(LIMIT, 401));
      expect((await login(await stranger(), email, PASSWORD)).status).toBe(429);
      expect((await login(await stranger(other), email, PASSWORD)).status).toBe(429);
      // the owner's browser, sent to the other instance by the load balancer
      expect((await login(copyBrowser(owner, other.app, owner.ip), email, PASSWORD)).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  test("finding 3 replayed: a stolen trusted_device cookie lifts no limit — 150 wrong passwords from 2 IPs hit 429, and so does the right one", async () => {
    const { email, userId, browser } = await ownerWithRememberedBrowser();
    const stolen = { trusted_device: browser.cookie("trusted_device")! };
    const thieves = [await browserWith(stolen), await browserWith(stolen)];
    const statuses: number[] = [];
    for (let i = 0; i < 150; i++) statuses.push((await login(thieves[i % 2], email, `${WRONG} ${i}`)).status);
    expect(statuses).toEqual([...times(LIMIT, 401), ...times(150 - LIMIT, 429)]);
    expect((await login(thieves[0], email, PASSWORD)).status).toBe(429);
    expect(await failuresOf(userId)).toBe(LIMIT);
    // the owner's own browser still signs in, skipping the code as it was asked to
    const mine = await login(browser, email, PASSWORD);
    expect(mine.status).toBe(200);
    expect(mine.body.user.email).toBe(email);
  });

  test("finding 4 replayed: with Redis unreachable, 60 wrong logins then the right one → 429", async () => {
    const proxy = await new TcpProxy("127.0.0.1", 6379).start();
    const redis = await connectRedis(`redis://127.0.0.1:${proxy.port}`, pino({ level: "silent" }));
    const withRedis = await startTestApp({ share: env, deps: { redis } });
    try {
      const { email } = await registeredClient(withRedis);
      await proxy.cut();
      expect(await wrongLogins(email, 60, withRedis)).toEqual([...times(LIMIT, 401), ...times(60 - LIMIT, 429)]);
      expect((await login(await stranger(withRedis), email, PASSWORD)).status).toBe(429);
    } finally {
      await withRedis.close();
      await redis.quit();
      await proxy.stop();
    }
  });

  test("the window is 15 minutes from its first failure: then the right password works again from anywhere", async () => {
    const { email } = await registeredClient(env);
    await wrongLogins(email, LIMIT);
    env.clock.advance(15 * 60 - 1);
    const late = await login(await stranger(), email, PASSWORD);
    expect(late.status).toBe(429);
    expect(late.headers["retry-after"]).toBe("1");
    env.clock.advance(1);
    expect((await login(await stranger(), email, PASSWORD)).status).toBe(200);
  });

  test("known and unknown emails get identical answers through the lock (status, body, headers), and neither reveals the count", async () => {
    const known = (await registeredClient(env)).email;
    const unknown = uniqueEmail("nobody");
    const answers = async (email: string) => {
      const list = [];
      for (let i = 0; i < LIMIT + 2; i++) list.push(await login(await stranger(), email, WRONG));
      return list.map((res) => ({
        status: res.status,
        body: res.body,
        headers: Object.fromEntries(Object.entries(res.headers).filter(([name]) => !["date", "set-cookie"].includes(name))),
        cookies: ([] as string[]).concat(res.headers["set-cookie"] ?? []).map((c) => c.split("=")[0]),
      }));
    };
    const forKnown = await answers(known);
    const forUnknown = await answers(unknown);
    expect(forKnown.map((a) => a.status)).toEqual([...times(LIMIT, 401), 429, 429]);
    expect(forUnknown).toEqual(forKnown);
    for (const a of forKnown) expect(Object.keys(a.headers).filter((h) => /ratelimit/i.test(h)).map((h) => `${h}: ${a.headers[h]}`).join()).not.toMatch(new RegExp(`\\b${LIMIT}\\b;|limit=${LIMIT}\\b`));
    // the unknown address is not stored in clear
    const rows = await env.db.loginBudget.findMany({ where: { emailHash: { in: [emailHash(known), emailHash(unknown)] } } });
    expect(rows).toHaveLength(2);
    expect(JSON.stringify(await env.db.$queryRawUnsafe(`SELECT * FROM "LoginBudget"`))).not.toContain(unknown);
  });

  test("a 503 (the hashing queue is full) judged nothing: its attempt is given back", async () => {
    const busy = await startTestApp({ share: env, env: { PASSWORD_HASH_CONCURRENCY: "1", PASSWORD_HASH_QUEUE_MAX: "0" } });
    try {
      const { email } = await registeredClient(env);
      const clients = await Promise.all(Array.from({ length: LIMIT }, () => stranger(busy)));
      const statuses = (await Promise.all(clients.map((c) => login(c, email, WRONG)))).map((r) => r.status);
      const judged = statuses.filter((s) => s === 401).length;
      expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
      expect(judged + statuses.filter((s) => s === 503).length).toBe(LIMIT);
      expect(await env.db.loginBudget.findUnique({ where: { emailHash: emailHash(email) } })).toMatchObject({ failures: judged });
    } finally {
      await busy.close();
      // createApp sizes the process-wide hashing queue: back to the defaults for the other tests
      await (await startTestApp({ share: env })).close();
    }
  });
});

describe("rule 18: a login lock is visible, liftable, and emailed once", () => {
  /** An ADMIN with 2FA, signed in moments ago. */
  async function adminClient() {
    const email = uniqueEmail("admin");
    await createUser(env.db, { email, password: PASSWORD, role: "ADMIN" });
    const client = await new Client(env.app).init();
    expect((await login(client, email, PASSWORD)).status).toBe(200);
    const setup = await client.post("/auth/2fa/setup", {});
    expect((await client.post("/auth/2fa/enable", { token: generateTotp(setup.body.secret, env.clock.now()) })).status).toBe(200);
    env.clock.advance(30);
    return { client, secret: setup.body.secret as string };
  }
  /** POST unlock with the admin's own password AND a code (DESIGN §6 rule 7). */
  const unlock = (admin: { client: Client; secret: string }, userId: string) => admin.client.post(`/auth/admin/users/${userId}/unlock`, stepUp(admin.secret, env));

  test("the admin list shows the password-login lock beside the code-entry lock; unlock lifts it, then the right password gets in", async () => {
    const admin = await adminClient();
    const { email, userId } = await registeredClient(env);
    await wrongLogins(email, LIMIT);
    const row = (await admin.client.get(`/auth/admin/users?query=${encodeURIComponent(email)}`)).body.users[0];
    expect(row).toMatchObject({ id: userId, locked: false, lockedUntil: null, loginLocked: true });
    expect(new Date(row.loginLockedUntil).getTime()).toBe(env.clock.now() + 15 * 60 * 1000);

    const res = await unlock(admin, userId);
    expect(res.status).toBe(200);
    expect((await login(await stranger(), email, PASSWORD)).status).toBe(200);
    const listed = (await admin.client.get(`/auth/admin/users?query=${encodeURIComponent(email)}`)).body.users[0];
    expect(listed).toMatchObject({ loginLocked: false, loginLockedUntil: null });
    const [event] = await env.db.auditEvent.findMany({ where: { userId, type: "ACCOUNT_UNLOCKED" } });
    expect(event.detail).toMatchObject({ codeEntry: false, passwordLogin: true });
    const unlocked = (await mail.inbox(email)).filter((m) => m.subject === "Your account was unlocked");
    expect(unlocked).toHaveLength(1);
    expect(unlocked[0].text).toContain("password sign-in");
    // nothing locked any more: 409 as before
    expect((await unlock(admin, userId)).body.code).toBe("NOT_LOCKED");
  });

  test("a completed password reset lifts the lock", async () => {
    const { email } = await registeredClient(env);
    await wrongLogins(email, LIMIT);
    expect((await (await stranger()).post("/auth/password/forgot", { email })).status).toBe(202);
    const link = (await mail.inbox(email)).find((m) => m.subject === "Reset your password");
    const token = /#token=([A-Za-z0-9_-]{43})/.exec(link?.text ?? "")?.[1];
    expect(token).toBeDefined();
    const newPassword = "a brand new passphrase for this account";
    expect((await (await stranger()).post("/auth/password/reset", { token, password: newPassword })).status).toBe(200);
    expect((await login(await stranger(), email, newPassword)).status).toBe(200);
  });

  test("the owner is emailed exactly once when the lock engages, even under a concurrent burst; the mail holds no secret", async () => {
    const { email, userId } = await registeredClient(env);
    const clients = await Promise.all(Array.from({ length: 30 }, () => stranger()));
    await Promise.all(clients.map((c) => login(c, email, WRONG)));
    await wrongLogins(email, 5); // more attempts while it is locked
    expect(await mailsOf(userId, "login_locked")).toHaveLength(1);
    expect(await env.db.auditEvent.count({ where: { userId, type: "LOGIN_LOCKED" } })).toBe(1);
    const [message] = (await mail.inbox(email)).filter((m) => m.subject === "Too many wrong passwords: password sign-in is paused");
    expect(message.text).toContain(new Date(env.clock.now() + 15 * 60 * 1000).toUTCString().replace("GMT", "UTC"));
    expect(message.text).not.toContain(WRONG);
    // a new window that locks again is a new lock: one more mail
    env.clock.advance(15 * 60);
    await wrongLogins(email, LIMIT + 1);
    expect(await mailsOf(userId, "login_locked")).toHaveLength(2);
  });

  test("an unknown email locks the same way and mails nobody", async () => {
    const before = await env.db.mailOutbox.count({ where: { template: "login_locked" } });
    const unknown = uniqueEmail("ghost");
    expect(await wrongLogins(unknown, LIMIT + 1)).toEqual([...times(LIMIT, 401), 429]);
    expect(await env.db.mailOutbox.count({ where: { template: "login_locked" } })).toBe(before);
  });
});

describe("finding 3's email: a sign-in through a remembered device", () => {
  test("from an IP that device never signed in from emails the owner; from its usual IP it does not", async () => {
    const { email, userId, browser } = await ownerWithRememberedBrowser();
    const before = (await mailsOf(userId, "new_device_sign_in")).length;
    const usual = await login(browser, email, PASSWORD);
    expect(usual.status).toBe(200);
    expect(usual.body.user.email).toBe(email);
    expect(await mailsOf(userId, "new_device_sign_in")).toHaveLength(before);
    await browser.post("/auth/logout");

    const elsewhere = copyBrowser(browser, env.app, "10.250.1.2");
    expect((await login(elsewhere, email, PASSWORD)).status).toBe(200);
    const mails = await mailsOf(userId, "new_device_sign_in");
    expect(mails).toHaveLength(before + 1);
    expect(mails[mails.length - 1].data).toMatchObject({ method: "trusted_device", ip: "10.250.1.2" });
  });
});
