// Password change and password reset by email (issue 14.3), written as the attacks: a stolen
// session alone cannot change the password, a reset link is single-use, expires, cannot be
// forged, and the same answer comes back whether or not an account exists.
import type { ParsedMail } from "mailparser";
import { ERROR_CODES } from "../src/http/errors";
import { FORGOT_PASSWORD_ANSWER } from "../src/account/password.routes";
import { resetLinkTtlMs } from "../src/account/password-reset";
import { Client, clientWith2FA, codeAt, copyBrowser, PASSWORD, registeredClient, startLogin, startTestApp, uniqueEmail, type TestEnv } from "./harness";
import { useAppWithMail, type MailCapture } from "./smtp";

const NEW_PASSWORD = "violet tractor sings at midnight";
const WEAK = "password1234";

let env: TestEnv;
let mail: MailCapture;
useAppWithMail((e, m) => ((env = e), (mail = m)));
const inbox = (email: string): Promise<ParsedMail[]> => mail.inbox(email);

async function login(email: string, password: string) {
  const client = await new Client(env.app).init();
  return { client, res: await client.post("/auth/login", { email, password }) };
}

describe("password change", () => {
  test("without 2FA: the current password is required; the change ends every other session, keeps this one, and is emailed", async () => {
    const { client, email } = await registeredClient(env);
    const other = await login(email, PASSWORD);
    expect(other.res.status).toBe(200);

    const wrong = await client.post("/auth/password/change", { currentPassword: "not my password at all", newPassword: NEW_PASSWORD });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ code: "INVALID_PASSWORD", attemptsRemaining: 4 });

    const res = await client.post("/auth/password/change", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(res.status).toBe(200);
    expect((await client.get("/auth/me")).status).toBe(200);
    expect((await other.client.get("/auth/me")).status).toBe(401);
    expect((await login(email, PASSWORD)).res.status).toBe(401);
    expect((await login(email, NEW_PASSWORD)).res.status).toBe(200);

    const mails = (await inbox(email)).filter((m) => m.subject === "Your password was changed");
    expect(mails).toHaveLength(1);
    expect(mails[0].text).not.toContain(NEW_PASSWORD);
    expect(await env.db.auditEvent.count({ where: { user: { email }, type: "PASSWORD_CHANGED" } })).toBe(1);
  });

  test("with 2FA: a stolen session and the password are not enough — a code is required; the change forgets every remembered device", async () => {
    const { client, email, secret } = await clientWith2FA(env);
    // a remembered device elsewhere
    const laptop = await startLogin(env, email);
    expect((await laptop.post("/auth/2fa/verify-login", { code: codeAt(secret, env), rememberDevice: true })).status).toBe(200);
    env.clock.advance(30);

    const noCode = await client.post("/auth/password/change", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(noCode.status).toBe(400);
    expect(noCode.body.code).toBe("VALIDATION_FAILED");
    expect(noCode.body.fields[0].field).toBe("code");

    const wrongCode = await client.post("/auth/password/change", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, code: "000000" });
    expect(wrongCode.status).toBe(400);
    expect(wrongCode.body.code).toBe("INVALID_CODE");
    expect((await login(email, PASSWORD)).res.body.requires2FA).toBe(true); // unchanged

    const res = await client.post("/auth/password/change", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, code: codeAt(secret, env) });
    expect(res.status).toBe(200);
    expect((await client.get("/auth/me")).status).toBe(200);
    expect((await laptop.get("/auth/me")).status).toBe(401);
    // the laptop's remembered-device cookie no longer skips the code step
    const again = copyBrowser(laptop);
    const relogin = await again.post("/auth/login", { email, password: NEW_PASSWORD });
    expect(relogin.body).toEqual({ requires2FA: true, methods: ["totp", "backup_code"] });
    expect(await env.db.trustedDevice.count({ where: { user: { email } } })).toBe(0);
  });

  test("a backup code works as the second factor, and its email says how many are left", async () => {
    const { client, email, backupCodes } = await clientWith2FA(env);
    const res = await client.post("/auth/password/change", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, backupCode: backupCodes[0] });
    expect(res.status).toBe(200);
    const subjects = (await inbox(email)).map((m) => m.subject);
    expect(subjects).toContain("Your password was changed");
    expect(subjects).toContain("A backup code was used");
    expect((await inbox(email)).find((m) => m.subject === "A backup code was used")!.text).toContain("You have 9 unused backup codes left.");
  });

  test("a new password the rule refuses is 400 VALIDATION_FAILED and spends no proof", async () => {
    const { client, email, secret } = await clientWith2FA(env);
    const code = codeAt(secret, env);
    const weak = await client.post("/auth/password/change", { currentPassword: PASSWORD, newPassword: WEAK, code });
    expect(weak.status).toBe(400);
    expect(weak.body).toMatchObject({ code: "VALIDATION_FAILED", fields: [{ field: "newPassword" }] });
    const withEmail = await client.post("/auth/password/change", { currentPassword: PASSWORD, newPassword: `${email.split("@")[0]} is my password`, code });
    expect(withEmail.status).toBe(400);
    // the same code still works: it was not spent by the refused attempts
    expect((await client.post("/auth/password/change", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, code })).status).toBe(200);
  });

  test("needs a session", async () => {
    const client = await new Client(env.app).init();
    expect((await client.post("/auth/password/change", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).status).toBe(401);
  });
});

const LINK = /https?:\/\/[^\s]+\/reset-password#token=([A-Za-z0-9_-]{43})/;

async function requestLink(email: string, client?: Client) {
  const c = client ?? (await new Client(env.app).init());
  const res = await c.post("/auth/password/forgot", { email });
  expect(res.status).toBe(202);
  expect(res.body).toEqual({ message: FORGOT_PASSWORD_ANSWER });
  const mails = (await inbox(email)).filter((m) => m.subject === "Reset your password");
  const match = LINK.exec(mails[mails.length - 1]?.text ?? "");
  return match?.[1];
}

describe("password reset by email", () => {
  test("the same answer whether or not the email has an account; only an account gets a link", async () => {
    const { email } = await registeredClient(env);
    const unknown = uniqueEmail("nobody");
    const client = await new Client(env.app).init();
    const a = await client.post("/auth/password/forgot", { email: unknown });
    const b = await client.post("/auth/password/forgot", { email });
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body).toEqual(b.body);
    expect(Object.keys(a.headers).sort()).toEqual(Object.keys(b.headers).sort());
    expect(await inbox(unknown)).toHaveLength(0);
    const [mail] = (await inbox(email)).filter((m) => m.subject === "Reset your password");
    expect(mail.text).toMatch(LINK);
    expect(mail.html).toMatch(/href="http:\/\/localhost:3000\/reset-password#token=[A-Za-z0-9_-]{43}"/);
    expect(mail.text).toContain(`IP address: ${client.ip}`);
  });

  test("only the token's hash is stored: not in the token table, not in the outbox once sent", async () => {
    const { email } = await registeredClient(env);
    const token = (await requestLink(email))!;
    const tables = await env.db.$queryRawUnsafe<{ t: string }[]>(`SELECT (SELECT json_agg(t)::text FROM "PasswordResetToken" t) || (SELECT json_agg(m)::text FROM "MailOutbox" m) AS t`);
    expect(tables[0].t).not.toContain(token);
  });

  test("a reset sets the password, ends every session, forgets remembered devices, and the next login still asks for the code", async () => {
    const { client, email, secret } = await clientWith2FA(env);
    const laptop = await startLogin(env, email);
    expect((await laptop.post("/auth/2fa/verify-login", { code: codeAt(secret, env), rememberDevice: true })).status).toBe(200);
    env.clock.advance(30);
    const token = (await requestLink(email))!;

    const check = await new Client(env.app).init().then((c) => c.post("/auth/password/reset/check", { token }));
    expect(check.status).toBe(200);
    expect(check.body).toEqual({ email });

    const browser = await new Client(env.app).init();
    const res = await browser.post("/auth/password/reset", { token, password: NEW_PASSWORD });
    expect(res.status).toBe(200);
    expect((await client.get("/auth/me")).status).toBe(401);
    expect((await laptop.get("/auth/me")).status).toBe(401);
    expect((await login(email, PASSWORD)).res.status).toBe(401);
    // the remembered device does not skip the second factor any more
    const again = copyBrowser(laptop);
    expect((await again.post("/auth/login", { email, password: NEW_PASSWORD })).body).toEqual({ requires2FA: true, methods: ["totp", "backup_code"] });
    expect((await again.post("/auth/2fa/verify-login", { code: codeAt(secret, env) })).status).toBe(200);

    const subjects = (await inbox(email)).map((m) => m.subject);
    expect(subjects).toContain("Your password was reset");
    const types = (await env.db.auditEvent.findMany({ where: { user: { email } }, select: { type: true } })).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["PASSWORD_RESET_REQUESTED", "PASSWORD_RESET"]));
  });

  test("a used link is 400 RESET_LINK_USED and changes nothing", async () => {
    const { email } = await registeredClient(env);
    const token = (await requestLink(email))!;
    const browser = await new Client(env.app).init();
    expect((await browser.post("/auth/password/reset", { token, password: NEW_PASSWORD })).status).toBe(200);
    const again = await browser.post("/auth/password/reset", { token, password: "another fine passphrase here" });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ code: "RESET_LINK_USED", message: ERROR_CODES.RESET_LINK_USED.message });
    expect((await login(email, NEW_PASSWORD)).res.status).toBe(200);
  });

  test("an expired link is 400 RESET_LINK_EXPIRED and changes nothing", async () => {
    const { email } = await registeredClient(env);
    const token = (await requestLink(email))!;
    env.clock.advance(resetLinkTtlMs(env.config) / 1000);
    const browser = await new Client(env.app).init();
    const res = await browser.post("/auth/password/reset", { token, password: NEW_PASSWORD });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("RESET_LINK_EXPIRED");
    expect((await browser.post("/auth/password/reset/check", { token })).body.code).toBe("RESET_LINK_EXPIRED");
    expect((await login(email, PASSWORD)).res.status).toBe(200);
  });

  test("a forged or malformed link is 400 RESET_LINK_INVALID", async () => {
    const browser = await new Client(env.app).init();
    for (const token of ["A".repeat(43), "x", "../../etc/passwd", "A".repeat(150)]) {
      const res = await browser.post("/auth/password/reset", { token, password: NEW_PASSWORD });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe("RESET_LINK_INVALID");
    }
  });

  test("a password the rule refuses is 400 and the link still works", async () => {
    const { email } = await registeredClient(env);
    const token = (await requestLink(email))!;
    const browser = await new Client(env.app).init();
    const weak = await browser.post("/auth/password/reset", { token, password: WEAK });
    expect(weak.status).toBe(400);
    expect(weak.body).toMatchObject({ code: "VALIDATION_FAILED", fields: [{ field: "password" }] });
    expect((await browser.post("/auth/password/reset", { token, password: NEW_PASSWORD })).status).toBe(200);
  });

  test("10 concurrent resets with one link: exactly one succeeds", async () => {
    const { email } = await registeredClient(env);
    const token = (await requestLink(email))!;
    const browsers = await Promise.all(Array.from({ length: 10 }, () => new Client(env.app).init()));
    const results = await Promise.all(browsers.map((b, i) => b.post("/auth/password/reset", { token, password: `${NEW_PASSWORD} ${i}` })));
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    for (const r of results) if (r.status !== 200) expect(r.body.code).toBe("RESET_LINK_USED");
    expect(await env.db.auditEvent.count({ where: { user: { email }, type: "PASSWORD_RESET" } })).toBe(1);
  });

  test("a newer link does not void an older one until one is used; then every other link is void", async () => {
    const { email } = await registeredClient(env);
    const first = (await requestLink(email))!;
    const second = (await requestLink(email))!;
    expect(first).not.toBe(second);
    const browser = await new Client(env.app).init();
    expect((await browser.post("/auth/password/reset", { token: first, password: NEW_PASSWORD })).status).toBe(200);
    expect((await browser.post("/auth/password/reset", { token: second, password: NEW_PASSWORD })).body.code).toBe("RESET_LINK_INVALID");
  });

  test("rate limits: reset emails per address are capped silently (same answer, no more mail); per IP a 429", async () => {
    const limited = await startTestApp({ env: { RATE_LIMIT_RESET_IP_MAX: "5", RATE_LIMIT_RESET_EMAIL_MAX: "2" }, share: env });
    const owner = await registeredClient(limited);
    const clients = await Promise.all([0, 1, 2, 3].map(() => new Client(limited.app).init()));
    for (const c of clients) {
      const res = await c.post("/auth/password/forgot", { email: owner.email });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ message: FORGOT_PASSWORD_ANSWER });
    }
    expect((await inbox(owner.email)).filter((m) => m.subject === "Reset your password")).toHaveLength(2);

    const flood = await new Client(limited.app).init();
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push((await flood.post("/auth/password/forgot", { email: uniqueEmail("flood") })).status);
    expect(answers).toEqual([202, 202, 202, 202, 202, 429]);
    const checks = await new Client(limited.app).init();
    for (let i = 0; i < 5; i++) await checks.post("/auth/password/reset/check", { token: "A".repeat(43) });
    expect((await checks.post("/auth/password/reset", { token: "A".repeat(43), password: NEW_PASSWORD })).status).toBe(429);
    await limited.close();
  });

  test("issue 18 finding 9: a stranger who spends the per-address cap never leaves the owner without a working link", async () => {
    // its own app: a fresh per-address counter (the window runs on real time; the links on the clock)
    const other = await startTestApp({ share: env });
    const owner = await registeredClient(other);
    const linksInMailbox = async () =>
      (await inbox(owner.email)).filter((m) => m.subject === "Reset your password").map((m) => LINK.exec(m.text ?? "")![1]);
    // the stranger's requests, 10 minutes apart, from three addresses: each answered as usual
    for (let i = 0; i < other.config.rateLimit.resetEmailMax; i++) {
      const stranger = await new Client(other.app).init();
      expect((await stranger.post("/auth/password/forgot", { email: owner.email })).status).toBe(202);
      if (i < other.config.rateLimit.resetEmailMax - 1) env.clock.advance(10 * 60);
    }
    const links = await linksInMailbox();
    expect(links).toHaveLength(3);
    // 45 minutes after the first one, the owner asks: the cap is spent, nothing is sent ...
    env.clock.advance(25 * 60);
    const ownRequest = await owner.client.post("/auth/password/forgot", { email: owner.email });
    expect(ownRequest.body).toEqual({ message: FORGOT_PASSWORD_ANSWER });
    expect(await linksInMailbox()).toHaveLength(3);
    // ... but even the oldest link in the mailbox still works, to the last minute of the window
    const browser = await new Client(other.app).init();
    for (const token of links) expect((await browser.post("/auth/password/reset/check", { token })).body).toEqual({ email: owner.email });
    env.clock.advance(14 * 60);
    expect((await browser.post("/auth/password/reset/check", { token: links[0] })).status).toBe(200);
    expect((await browser.post("/auth/password/reset", { token: links[0], password: NEW_PASSWORD })).status).toBe(200);
    expect((await login(owner.email, NEW_PASSWORD)).res.status).toBe(200);
    await other.close();
  });
});
