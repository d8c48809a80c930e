// Security emails (issue 14.2): every event below reaches a real SMTP server on 127.0.0.1
// through the outbox and the mail worker, says when / which device / which IP, links to the
// security activity, and carries no secret.
import type { ParsedMail } from "mailparser";
import { backoffMs, type MailWorker } from "../src/mail/worker";
import { Client, clientWith2FA, codeAt, copyBrowser, PASSWORD, registeredClient, startLogin, startTestApp, uniqueEmail, type TestEnv } from "./harness";
import { startSmtp, testMailWorker, type TestSmtp } from "./smtp";
import { addPasskey, newAuthenticator } from "./support/passkeys";

const FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SAFARI = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";

let env: TestEnv;
let smtp: TestSmtp;
let worker: MailWorker;
beforeAll(async () => {
  env = await startTestApp({ env: { APP_URL: "https://twofa.example.com" } });
  smtp = await startSmtp();
  worker = mailWorker(smtp.url);
});
afterAll(async () => {
  await worker.stop();
  await smtp.close();
  await env.close();
});

const mailWorker = (url: string) => testMailWorker(env, url, "TwoFA <security@twofa.example.com>");

/** Runs the worker until the outbox has nothing due; returns what arrived for `email`. */
async function inbox(email: string): Promise<ParsedMail[]> {
  while ((await worker.runOnce()).sent > 0);
  return smtp.to(email);
}
const subjects = async (email: string) => (await inbox(email)).map((m) => m.subject);

/** A browser with its own User-Agent (supertest sends none). */
function browser(ua: string, ip?: string) {
  const client = new Client(env.app, ip);
  client.agent.set("User-Agent", ua);
  return client;
}

async function loginWithCode(email: string, secret: string, client: Client, body: Record<string, unknown> = {}) {
  await client.init();
  expect((await client.post("/auth/login", { email, password: PASSWORD })).body.requires2FA).toBe(true);
  const res = await client.post("/auth/2fa/verify-login", { code: codeAt(secret, env), ...body });
  expect(res.status).toBe(200);
  env.clock.advance(30);
  return res;
}

function expectSecurityMail(mail: ParsedMail, device: string, ip: string) {
  expect(mail.text).toContain(`When: ${new Date(env.clock.now()).toUTCString().slice(0, 16)}`);
  expect(mail.text).toContain(`Device: ${device}`);
  expect(mail.text).toContain(`IP address: ${ip}`);
  expect(mail.text).toContain("https://twofa.example.com/profile#security-activity");
  expect(mail.html).toContain('href="https://twofa.example.com/profile#security-activity"');
  expect(mail.html).toContain(device);
}

test("2FA turned on, backup codes regenerated, 2FA turned off: one email each, with device and IP, and no secret", async () => {
  const { client, email, secret, backupCodes } = await clientWith2FA(env);
  expect(await subjects(email)).toEqual(["Two-factor authentication was turned on"]);
  const regen = await client.post("/auth/2fa/backup-codes", { password: PASSWORD, code: codeAt(secret, env) });
  expect(regen.status).toBe(200);
  env.clock.advance(30);
  const disable = await client.post("/auth/2fa/disable", { password: PASSWORD, code: codeAt(secret, env) });
  expect(disable.status).toBe(200);
  const mails = await inbox(email);
  expect(mails.map((m) => m.subject)).toEqual([
    "Two-factor authentication was turned on",
    "New backup codes were created",
    "Two-factor authentication was turned off",
  ]);
  expectSecurityMail(mails[2], "Unknown device", client.ip);
  for (const mail of mails) {
    const raw = `${mail.text}\n${mail.html}`;
    for (const s of [secret, PASSWORD, ...backupCodes, ...regen.body.backupCodes]) expect(raw).not.toContain(s);
  }
});

test("a sign-in from a browser not seen before is emailed once; the same browser again is not", async () => {
  const { email, secret } = await clientWith2FA(env);
  const firefox = browser(FIREFOX, "198.51.100.23");
  await loginWithCode(email, secret, firefox);
  const mails = (await inbox(email)).filter((m) => m.subject === "New sign-in to your account");
  expect(mails).toHaveLength(1);
  expectSecurityMail(mails[0], "Firefox on Windows", "198.51.100.23");
  expect(mails[0].text).toContain("with your password and an authenticator code");

  await loginWithCode(email, secret, browser(FIREFOX, "198.51.100.99"));
  expect((await subjects(email)).filter((s) => s === "New sign-in to your account")).toHaveLength(1);
});

test("without 2FA, a password sign-in from a new browser is emailed too (not the one it registered with)", async () => {
  const email = uniqueEmail("pw");
  const reg = await browser(SAFARI).init();
  expect((await reg.post("/auth/register", { email, password: PASSWORD })).status).toBe(201);
  const same = await browser(SAFARI).init();
  expect((await same.post("/auth/login", { email, password: PASSWORD })).status).toBe(200);
  expect(await subjects(email)).toEqual([]);
  const other = await browser(FIREFOX, "192.0.2.44").init();
  expect((await other.post("/auth/login", { email, password: PASSWORD })).status).toBe(200);
  const mails = await inbox(email);
  expect(mails.map((m) => m.subject)).toEqual(["New sign-in to your account"]);
  expectSecurityMail(mails[0], "Firefox on Windows", "192.0.2.44");
  expect(mails[0].text).toContain("with your password.");
});

test("a new remembered device is emailed", async () => {
  const { email, secret } = await clientWith2FA(env);
  await loginWithCode(email, secret, browser(SAFARI, "192.0.2.8"), { rememberDevice: true });
  const mail = (await inbox(email)).find((m) => m.subject === "A device was remembered for your account");
  expect(mail).toBeDefined();
  expectSecurityMail(mail!, "Safari on macOS", "192.0.2.8");
});

test("a backup code used at login says how many are left, and nudges at 3 or fewer", async () => {
  const { email, backupCodes } = await clientWith2FA(env);
  for (let i = 0; i < 7; i++) {
    const client = await startLogin(env, email);
    expect((await client.post("/auth/2fa/verify-login", { backupCode: backupCodes[i] })).status).toBe(200);
    env.clock.advance(1);
  }
  const used = (await inbox(email)).filter((m) => m.subject?.startsWith("A backup code was used"));
  expect(used.map((m) => m.subject)).toEqual([
    ...Array(6).fill("A backup code was used"),
    "A backup code was used — only 3 left",
  ]);
  expect(used[0].text).toContain("You have 9 unused backup codes left.");
  expect(used[0].text).not.toContain("running low");
  expect(used[6].text).toContain("You have 3 unused backup codes left.");
  expect(used[6].text).toContain("You are running low");
  for (const mail of used) for (const code of backupCodes) expect(mail.text).not.toContain(code);
});

test("the account locked by wrong codes is emailed once, with the time it unlocks", async () => {
  const { email } = await clientWith2FA(env);
  const attacker = await startLogin(env, email, "203.0.113.66");
  for (let i = 0; i < 4; i++) expect((await attacker.post("/auth/2fa/verify-login", { code: "000000" })).status).toBe(400);
  expect((await attacker.post("/auth/2fa/verify-login", { code: "000000" })).status).toBe(429);
  expect((await (await startLogin(env, email)).post("/auth/2fa/verify-login", { code: "000000" })).status).toBe(429);
  const locked = (await inbox(email)).filter((m) => m.subject === "Too many wrong codes or passwords: your account is locked");
  expect(locked).toHaveLength(1);
  expectSecurityMail(locked[0], "Unknown device", "203.0.113.66");
  expect(locked[0].text).toMatch(/locked until \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} UTC/);
});

test("refresh-token reuse is emailed", async () => {
  const { client, email } = await registeredClient(env);
  const thief = copyBrowser(client, env.app, "203.0.113.99");
  expect((await client.post("/auth/refresh")).status).toBe(200);
  env.clock.advance(11);
  expect((await thief.post("/auth/refresh")).body.code).toBe("SESSION_REVOKED");
  const mails = (await inbox(email)).filter((m) => m.subject === "A session of your account was ended for your security");
  expect(mails).toHaveLength(1);
  expectSecurityMail(mails[0], "Unknown device", "203.0.113.99");
});

test("fault: SMTP down while the events happen, then up → every email arrives exactly once", async () => {
  const down = await startSmtp();
  await down.stop();
  const downWorker = mailWorker(down.url);
  // drain what earlier tests queued, so this worker sees only this test's mail
  while ((await worker.runOnce()).sent > 0);

  const { client, email, secret } = await clientWith2FA(env); // 2FA on
  await loginWithCode(email, secret, browser(FIREFOX)); // new device
  expect((await client.post("/auth/2fa/backup-codes", { password: PASSWORD, code: codeAt(secret, env) })).status).toBe(200); // regenerated
  env.clock.advance(30);
  expect((await client.post("/auth/2fa/disable", { password: PASSWORD, code: codeAt(secret, env) })).status).toBe(200); // off
  expect((await downWorker.runOnce()).retried).toBe(4);
  env.clock.advance(backoffMs(1) / 1000);
  expect((await downWorker.runOnce()).retried).toBe(4);
  expect(down.messages).toHaveLength(0);

  await down.listen();
  env.clock.advance(backoffMs(2) / 1000);
  expect((await downWorker.runOnce()).sent).toBe(4);
  env.clock.advance(3600);
  expect((await downWorker.runOnce()).sent).toBe(0);
  expect(down.to(email).map((m) => m.subject).sort()).toEqual(
    ["New backup codes were created", "New sign-in to your account", "Two-factor authentication was turned off", "Two-factor authentication was turned on"].sort(),
  );
  expect(down.messages).toHaveLength(4);
  await downWorker.stop();
  await down.close();
});

test("a passkey user adds an authenticator app, then removes it: the emails say the app was added and removed (2FA was and stays on)", async () => {
  // before the review: adding TOTP as a second factor sent "Two-factor authentication was turned
  // on", and removing it while a passkey remained (TOTP_REMOVED) sent no email at all
  const { client, email } = await registeredClient(env);
  const added = await addPasskey(client, newAuthenticator(env));
  expect(added.status).toBe(201);
  const { secret } = (await client.post("/auth/2fa/setup", { password: PASSWORD, backupCode: added.body.backupCodes[0] })).body;
  expect((await client.post("/auth/2fa/enable", { token: codeAt(secret, env) })).status).toBe(200);
  env.clock.advance(30);
  const removed = await client.post("/auth/2fa/totp/remove", { password: PASSWORD, code: codeAt(secret, env) });
  expect(removed.body).toMatchObject({ twoFactorEnabled: true });
  const mails = await inbox(email);
  // (the worker's delivery order is not the order of the events: compare as a set)
  expect(mails.map((m) => m.subject).sort()).toEqual(
    [
      "A passkey or security key was added to your account",
      // the backup code given with the password to add the app (rule 7)
      "A backup code was used",
      "An authenticator app was added to your account",
      "The authenticator app was removed from your account",
    ].sort(),
  );
  const bySubject = (start: string) => mails.find((m) => m.subject!.startsWith(start))!;
  expect(bySubject("An authenticator app was added").text).toContain("Two-factor authentication was already on");
  expect(bySubject("An authenticator app was added").text).not.toMatch(/turned on/);
  const gone = bySubject("The authenticator app was removed");
  expect(gone.text).toContain("Two-factor authentication stays on with your passkeys or security keys");
  expectSecurityMail(gone, "Unknown device", client.ip);
  for (const mail of mails) expect(`${mail.text}\n${mail.html}`).not.toContain(secret);
});
