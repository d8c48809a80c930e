// Issue 10, findings 1-3 and DESIGN §6.12-13, written as the attack: every proof (password, code,
// backup code) on the management paths is budgeted, spent atomically under the lock condition, and
// no burst from one account can starve the database pool for everyone else.
import { clientWith2FA, codeAt, PASSWORD, registeredClient, startLogin, startTestApp, twoFactorOn, twoFactorState, type TestEnv } from "./harness";

let env: TestEnv;
beforeAll(async () => {
  // the harness pool is small (5 connections): starvation shows at once if a path holds one while it needs another
  env = await startTestApp();
});
afterAll(() => env.close());

const statuses = (responses: { status: number }[]) => responses.map((r) => r.status).sort();
const wrongCodes = (secret: string, n: number) => {
  const right = new Set([-1, 0, 1].map((o) => codeAt(secret, env, o)));
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    const c = String(100000 + i * 7919).slice(0, 6);
    if (!right.has(c)) out.push(c);
  }
  return out;
};

describe("rule 13: no one request pattern starves the server", () => {
  test("finding 1: 50 concurrent disable requests from one account: the attacker gets only 4xx, other users and /healthz only 200", async () => {
    const attacker = await clientWith2FA(env);
    const bystander = await registeredClient(env);
    const burst = Array.from({ length: 50 }, (_, i) =>
      attacker.client.post("/auth/2fa/disable", { password: i % 2 ? PASSWORD : "wrong password", code: String(100000 + i) }),
    );
    const polls = Array.from({ length: 20 }, (_, i) => (i % 2 ? bystander.client.get("/auth/me") : bystander.client.get("/healthz")));
    const [attack, others] = await Promise.all([Promise.all(burst), Promise.all(polls)]);
    for (const res of attack) {
      const ok = (res.status >= 400 && res.status < 500) || (res.status === 503 && Number(res.headers["retry-after"]) > 0);
      if (!ok) throw new Error(`attacker got ${res.status} ${JSON.stringify(res.body)}`);
    }
    expect(new Set(others.map((r) => r.status))).toEqual(new Set([200]));
    expect((await twoFactorOn(env, attacker.userId))).toBe(true);
});
});

describe("rule 12: every proof is budgeted", () => {
  test("finding 2: a burst of 11 wrong codes + the right one on disable: at most 5 codes evaluated as wrong, no 200 once the budget is spent", async () => {
    const { client, userId, secret } = await clientWith2FA(env);
    const right = codeAt(secret, env);
    const bodies = [...wrongCodes(secret, 11).map((code) => ({ password: PASSWORD, code })), { password: PASSWORD, code: right }];
    const res = await Promise.all(bodies.map((b) => client.post("/auth/2fa/disable", b)));
    const wrong = res.filter((r) => r.status === 400 && r.body.code === "INVALID_CODE");
    expect(wrong.length).toBeLessThanOrEqual(5);
    const user = await twoFactorState(env, userId);
    const rightAnswer = res[res.length - 1];
    if (rightAnswer.status === 200) {
      // it won the race before the budget was spent: then fewer than 5 wrong codes came before it
      expect(user.enabled).toBe(false);
    } else {
      expect(rightAnswer.status).toBe(429);
      expect(user.enabled).toBe(true);
    }
    expect(statuses(res).filter((s) => s !== 400 && s !== 429 && s !== 200)).toEqual([]);
    // sequential, the same rule: 5 wrong codes lock; then the right code is a 429 and changes nothing
    const next = await clientWith2FA(env);
    const five = wrongCodes(next.secret, 5);
    for (const code of five.slice(0, 4)) expect((await next.client.post("/auth/2fa/disable", { password: PASSWORD, code })).status).toBe(400);
    expect((await next.client.post("/auth/2fa/disable", { password: PASSWORD, code: five[4] })).status).toBe(429); // the 5th locks
    const late = await next.client.post("/auth/2fa/disable", { password: PASSWORD, code: codeAt(next.secret, env) });
    expect(late.status).toBe(429);
    expect(Number(late.headers["retry-after"])).toBeGreaterThan(0);
    expect((await twoFactorOn(env, next.userId))).toBe(true);
});

test("finding 2 (enable): a burst of wrong confirmation codes + the right one: at most 5 evaluated, no enable once the budget is spent", async () => {
  const { client, userId } = await registeredClient(env);
  const { secret } = (await client.post("/auth/2fa/setup", {})).body;
  const bodies = [...wrongCodes(secret, 11).map((token) => ({ token })), { token: codeAt(secret, env) }];
  const res = await Promise.all(bodies.map((b) => client.post("/auth/2fa/enable", b)));
  expect(res.filter((r) => r.status === 400).length).toBeLessThanOrEqual(5);
  const user = await twoFactorState(env, userId);
  const rightAnswer = res[res.length - 1];
  expect([200, 429]).toContain(rightAnswer.status);
  expect(user.enabled).toBe(rightAnswer.status === 200);
});

test("finding 3: with a stolen session, wrong passwords on disable and re-auth are counted and audited; after 5 even the right password and code are refused", async () => {
  const { client, userId, secret } = await clientWith2FA(env);
  const tries = await Promise.all(Array.from({ length: 40 }, (_, i) => client.post("/auth/2fa/disable", { password: `wrong password ${i}`, code: "123456" })));
  const invalid = tries.filter((r) => r.status === 401 && r.body.code === "INVALID_PASSWORD");
  expect(invalid.length).toBeLessThanOrEqual(5);
  expect(invalid.length + tries.filter((r) => r.status === 429).length).toBe(40);
  expect(invalid.every((r) => typeof r.body.attemptsRemaining === "number")).toBe(true);
  expect(await env.db.auditEvent.count({ where: { userId, type: "PASSWORD_PROOF_FAILURE" } })).toBeGreaterThanOrEqual(5);
  env.clock.advance(30);
  const right = await client.post("/auth/2fa/disable", { password: PASSWORD, code: codeAt(secret, env) });
  expect(right.status).toBe(429);
  expect((await twoFactorOn(env, userId))).toBe(true);
  // re-auth for setup-type changes shares the same budget
  env.clock.advance(11 * 60);
  expect((await client.post("/auth/2fa/backup-codes", { password: PASSWORD, code: codeAt(secret, env) })).status).toBe(429);
});

test("a wrong password given as re-auth proof counts in the same budget as wrong codes (and tells how many are left)", async () => {
  const { client, userId } = await registeredClient(env);
  env.clock.advance(11 * 60);
  const first = await client.post("/auth/2fa/setup", { password: "not the password" });
  expect(first.status).toBe(401);
  expect(first.body).toMatchObject({ code: "INVALID_PASSWORD", attemptsRemaining: 4 });
  for (let i = 0; i < 4; i++) await client.post("/auth/2fa/setup", { password: "not the password" });
  const locked = await client.post("/auth/2fa/setup", { password: PASSWORD });
  expect(locked.status).toBe(429);
  expect(await env.db.auditEvent.count({ where: { userId, type: "PASSWORD_PROOF_FAILURE" } })).toBe(5);
  expect(await env.db.auditEvent.count({ where: { userId, type: "TWOFA_LOCKED" } })).toBe(1);
});

test("a right password never resets the budget: a phished password cannot be interleaved with code guesses", async () => {
  const { client, secret, userId } = await clientWith2FA(env);
  const wrong = wrongCodes(secret, 5);
  for (let i = 0; i < 4; i++) expect((await client.post("/auth/2fa/disable", { password: PASSWORD, code: wrong[i] })).status).toBe(400);
  const fifth = await client.post("/auth/2fa/disable", { password: PASSWORD, code: wrong[4] });
  expect(fifth.status).toBe(429);
  expect((await env.db.user.findUniqueOrThrow({ where: { id: userId } })).twoFactorFailedAttempts).toBe(5);
});

test("backup codes as proof: regeneration takes one; a used one says so and counts", async () => {
  const { client, backupCodes } = await clientWith2FA(env);
  const res = await client.post("/auth/2fa/backup-codes", { password: PASSWORD, backupCode: backupCodes[0] });
  expect(res.status).toBe(200);
  expect(res.body.backupCodes).toHaveLength(10);
  const reused = await client.post("/auth/2fa/disable", { password: PASSWORD, backupCode: res.body.backupCodes[0] });
  expect(reused.status).toBe(200);
  const { client: other, backupCodes: codes2, secret: s2 } = await clientWith2FA(env);
  expect((await other.post("/auth/2fa/disable", { password: PASSWORD, backupCode: codes2[1].toUpperCase() })).status).toBe(200);
  // re-enable and try the consumed code of the old set: wrong (old codes are void)
  const setup = await other.post("/auth/2fa/setup", {});
  expect((await other.post("/auth/2fa/enable", { token: codeAt(setup.body.secret, env) })).status).toBe(200);
  const stale = await other.post("/auth/2fa/backup-codes", { password: PASSWORD, backupCode: codes2[2] });
  expect(stale.status).toBe(400);
  expect(stale.body.code).toBe("INVALID_CODE");
  expect(s2).toBeDefined();
});

test("one backup code used twice as proof: the second time is refused with reason backup_code_used", async () => {
  const { client, backupCodes, email, userId } = await clientWith2FA(env);
  const first = await client.post("/auth/2fa/disable", { password: "wrong password", backupCode: backupCodes[3] });
  expect(first.status).toBe(401); // the password is checked first: the backup code is not spent
  expect(await env.db.backupCode.count({ where: { userId, usedAt: { not: null } } })).toBe(0);
  // spend it through a login, then offer it again as proof
  const login = await startLogin(env, email);
  expect((await login.post("/auth/2fa/verify-login", { backupCode: backupCodes[3] })).status).toBe(200);
  const again = await client.post("/auth/2fa/disable", { password: PASSWORD, backupCode: backupCodes[3] });
  expect(again.status).toBe(400);
  expect(again.body).toMatchObject({ code: "INVALID_CODE", reason: "backup_code_used" });
});
});
