// Mail: the outbox, the worker (retries, backoff, leases) and both mailers, against a real SMTP
// server on 127.0.0.1 (smtp-server) whose messages are parsed with mailparser.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { simpleParser } from "mailparser";
import { createSecretBox } from "../src/security/encryption";
import { createMailer, fileMailer, smtpMailer, type Mailer } from "../src/mail/mailer";
import { enqueueMail, eventData } from "../src/mail/outbox";
import { backoffMs, LEASE_MS, MAX_ATTEMPTS } from "../src/mail/worker";
import { startTestApp, testConfig, uniqueEmail, type TestEnv } from "./harness";
import { startSmtp, testMailWorker, unusedPort, type TestSmtp } from "./smtp";

let env: TestEnv;
let smtp: TestSmtp;
beforeAll(async () => {
  env = await startTestApp({ env: { APP_URL: "http://app.test" } });
  smtp = await startSmtp();
});
afterAll(async () => {
  await smtp.close();
  await env.close();
});

const meta = { ip: "203.0.113.7", userAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36" };

const worker = (mailer: Mailer) => testMailWorker(env, mailer);

async function enqueue(to = uniqueEmail("mail"), template: "twofa_enabled" | "password_changed" = "twofa_enabled") {
  const [row] = await env.db.$transaction([enqueueMail(env.db, { userId: null, to, template, data: eventData(meta, env.clock.now()), nowMs: env.clock.now() })]);
  return { id: row.id, to };
}

const outboxRow = (id: string) => env.db.mailOutbox.findUniqueOrThrow({ where: { id } });

test("the outbox row is part of the event's transaction: rolled back with it, committed with it", async () => {
  const to = uniqueEmail("tx");
  await expect(
    env.db.$transaction([
      enqueueMail(env.db, { userId: null, to, template: "twofa_enabled", data: eventData(meta, env.clock.now()), nowMs: env.clock.now() }),
      env.db.$executeRaw`SELECT no_such_function()`,
    ]),
  ).rejects.toThrow();
  expect(await env.db.mailOutbox.count({ where: { to } })).toBe(0);
  await enqueue(to);
  expect(await env.db.mailOutbox.count({ where: { to } })).toBe(1);
  await env.db.mailOutbox.deleteMany({ where: { to } });
});

test("the worker sends each due message once, plain text and HTML, with a stable Message-ID", async () => {
  const { id, to } = await enqueue();
  const w = worker(smtpMailer(smtp.url, "TwoFA <no-reply@twofa.test>"));
  expect(await w.runOnce()).toEqual({ sent: 1, retried: 0, failed: 0 });
  expect(await w.runOnce()).toEqual({ sent: 0, retried: 0, failed: 0 });
  const [mail] = smtp.to(to);
  expect(smtp.to(to)).toHaveLength(1);
  expect(mail.subject).toBe("Two-factor authentication was turned on");
  expect(mail.messageId).toBe(`<${id}@twofa.test>`);
  expect(mail.from?.value[0]).toMatchObject({ name: "TwoFA", address: "no-reply@twofa.test" });
  expect(mail.text).toContain("When: Wed, 25 Nov 2026 12:00:00 UTC");
  expect(mail.text).toContain("Device: Chrome on Linux");
  expect(mail.text).toContain("IP address: 203.0.113.7");
  expect(mail.text).toContain("http://app.test/profile#security-activity");
  expect(mail.html).toContain('<a href="http://app.test/profile#security-activity">');
  expect((await outboxRow(id)).sentAt).not.toBeNull();
  await w.stop();
});

test("SMTP down while mail is queued, then up: every message arrives exactly once (retries with backoff)", async () => {
  const down = await startSmtp();
  await down.stop();
  const w = worker(smtpMailer(down.url, "TwoFA <no-reply@twofa.test>"));
  const queued = [await enqueue(), await enqueue(), await enqueue()];

  expect(await w.runOnce()).toEqual({ sent: 0, retried: 3, failed: 0 });
  for (const q of queued) {
    const row = await outboxRow(q.id);
    expect(row.attempts).toBe(1);
    expect(row.sentAt).toBeNull();
    expect(row.lastError).toBeTruthy();
    expect(row.nextAttemptAt.getTime()).toBe(env.clock.now() + backoffMs(1));
  }
  // not due yet: nothing is tried
  expect(await w.runOnce()).toEqual({ sent: 0, retried: 0, failed: 0 });
  env.clock.advance(backoffMs(1) / 1000);
  expect(await w.runOnce()).toEqual({ sent: 0, retried: 3, failed: 0 });
  expect((await outboxRow(queued[0].id)).nextAttemptAt.getTime()).toBe(env.clock.now() + backoffMs(2));

  await down.listen();
  env.clock.advance(backoffMs(2) / 1000);
  // two instances' workers race for the same rows: the claims never overlap
  const other = worker(smtpMailer(down.url, "TwoFA <no-reply@twofa.test>"));
  const [a, b] = await Promise.all([w.runOnce(), other.runOnce()]);
  expect(a.sent + b.sent).toBe(3);
  expect(await w.runOnce()).toEqual({ sent: 0, retried: 0, failed: 0 });
  env.clock.advance(3600);
  expect(await w.runOnce()).toEqual({ sent: 0, retried: 0, failed: 0 });

  for (const q of queued) expect(down.to(q.to)).toHaveLength(1);
  expect(new Set(down.messages.map((m) => m.messageId)).size).toBe(down.messages.length);
  await Promise.all([w.stop(), other.stop(), down.close()]);
});

test("backoff doubles from 30 s up to an hour; after MAX_ATTEMPTS the message is given up", async () => {
  expect([1, 2, 3, 4].map(backoffMs)).toEqual([30_000, 60_000, 120_000, 240_000]);
  expect(backoffMs(20)).toBe(3_600_000);
  const w = worker(smtpMailer(`smtp://127.0.0.1:${await unusedPort()}`, "TwoFA <a@b.test>"));
  const { id } = await enqueue();
  for (let i = 1; i < MAX_ATTEMPTS; i++) {
    expect((await w.runOnce()).retried).toBeGreaterThanOrEqual(1);
    env.clock.advance(backoffMs(i) / 1000);
  }
  await w.runOnce();
  const row = await outboxRow(id);
  expect(row.attempts).toBe(MAX_ATTEMPTS);
  expect(row.failedAt).not.toBeNull();
  env.clock.advance(86_400);
  expect(await w.runOnce()).toEqual({ sent: 0, retried: 0, failed: 0 });
  await w.stop();
});

test("a permanent SMTP refusal (5xx) is not retried", async () => {
  const { SMTPServer } = await import("smtp-server");
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onRcptTo(_address, _session, cb) {
      cb(Object.assign(new Error("No such user"), { responseCode: 550 }));
    },
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.server.address() as { port: number }).port;
  const w = worker(smtpMailer(`smtp://127.0.0.1:${port}`, "TwoFA <a@b.test>"));
  const { id } = await enqueue();
  expect(await w.runOnce()).toEqual({ sent: 0, retried: 0, failed: 1 });
  expect((await outboxRow(id)).failedAt).not.toBeNull();
  await w.stop();
  await new Promise<void>((r) => server.close(() => r()));
});

test("a row claimed by a worker that died is sent by another once the lease ends", async () => {
  const { id, to } = await enqueue();
  // the claim of a process that then died: attempts counted, lease taken, never sent
  await env.db.mailOutbox.update({ where: { id }, data: { attempts: 1, lockedUntil: new Date(env.clock.now() + LEASE_MS) } });
  const w = worker(smtpMailer(smtp.url, "TwoFA <a@b.test>"));
  expect((await w.runOnce()).sent).toBe(0);
  env.clock.advance(LEASE_MS / 1000);
  expect((await w.runOnce()).sent).toBe(1);
  expect(smtp.to(to)).toHaveLength(1);
  await w.stop();
});

test("a sealed field is stored encrypted, decrypted only to send, and wiped once sent; an expired one is not sent", async () => {
  const box = createSecretBox(env.config.encryptionKeys);
  const to = uniqueEmail("sealed");
  const token = "tok_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
  const data = { ...eventData(meta, env.clock.now()), expiresAt: new Date(env.clock.now() + 1800_000).toISOString(), sealed: { token: box.encrypt(token) } };
  const [row] = await env.db.$transaction([enqueueMail(env.db, { userId: null, to, template: "password_reset_requested", data, nowMs: env.clock.now() })]);
  expect(JSON.stringify((await outboxRow(row.id)).data)).not.toContain(token);
  const w = worker(smtpMailer(smtp.url, "TwoFA <a@b.test>"));
  expect((await w.runOnce()).sent).toBe(1);
  const [mail] = smtp.to(to);
  expect(mail.text).toContain(`http://app.test/reset-password#token=${token}`);
  expect((await outboxRow(row.id)).data).not.toHaveProperty("sealed");

  const late = uniqueEmail("late");
  await env.db.$transaction([enqueueMail(env.db, { userId: null, to: late, template: "password_reset_requested", data: { ...data, expiresAt: new Date(env.clock.now() - 1).toISOString() }, nowMs: env.clock.now() })]);
  expect(await w.runOnce()).toEqual({ sent: 0, retried: 0, failed: 1 });
  expect(smtp.to(late)).toHaveLength(0);
  await w.stop();
});

test("development default: each message is an .eml file in MAIL_DIR and one log line names it", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "twofa-mail-"));
  const lines: string[] = [];
  const mailer = fileMailer(dir, "TwoFA <no-reply@localhost>", { info: (msg: string) => lines.push(msg) } as never);
  const { id, to } = await enqueue();
  const w = worker(mailer);
  expect((await w.runOnce()).sent).toBe(1);
  const files = fs.readdirSync(dir);
  expect(files).toEqual([expect.stringMatching(new RegExp(`^\\d{8}T\\d{6}Z-${id}\\.eml$`))]);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(path.join(dir, files[0]));
  expect(lines[0]).toContain(to);
  const parsed = await simpleParser(fs.readFileSync(path.join(dir, files[0])));
  expect(parsed.subject).toBe("Two-factor authentication was turned on");
  expect(parsed.html).toContain("Two-factor authentication is on");
  fs.rmSync(dir, { recursive: true });
  await w.stop();
});

test("SMTP_URL picks the SMTP mailer; without it mail goes to .data/mail", () => {
  const log = { info: () => undefined };
  expect(createMailer(testConfig(), log).description).toMatch(/^files in \.data\/mail/);
  expect(createMailer(testConfig({ SMTP_URL: "smtp://mail.example.com:2525" }), log).description).toBe("SMTP smtp://mail.example.com:2525");
  expect(testConfig().appUrl).toBe("http://localhost:3000");
  expect(testConfig({ APP_URL: "https://twofa.example.com/" }).appUrl).toBe("https://twofa.example.com");
});
