// A real SMTP server on 127.0.0.1 for the tests (smtp-server), and what arrives parsed with
// mailparser. `stop()` and `listen()` again on the same port simulate an outage.
import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import pino from "pino";
import { SMTPServer } from "smtp-server";
import { smtpMailer, type Mailer } from "../src/mail/mailer";
import { createMailWorker } from "../src/mail/worker";
import { createSecretBox } from "../src/security/encryption";
import { startTestApp, type TestEnv } from "./harness";

/** The app's mail worker on a test app's database and clock; `mailer`: an SMTP URL or a Mailer. */
export function testMailWorker(env: TestEnv, mailer: string | Mailer, from = "TwoFA <security@twofa.test>") {
  return createMailWorker({
    db: env.db,
    mailer: typeof mailer === "string" ? smtpMailer(mailer, from) : mailer,
    clock: env.clock,
    logger: pino({ level: "silent" }),
    secretBox: createSecretBox(env.config.encryptionKeys),
    appUrl: env.config.appUrl,
  });
}

export interface TestSmtp {
  url: string;
  port: number;
  messages: ParsedMail[];
  /** messages sent to this address */
  to(address: string): ParsedMail[];
  stop(): Promise<void>;
  /** listens again on the same port after stop() */
  listen(): Promise<void>;
  close(): Promise<void>;
}

function newServer(messages: ParsedMail[]) {
  return new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          messages.push(mail);
          callback();
        })
        .catch((err) => callback(err));
    },
  });
}

export async function startSmtp(port = 0): Promise<TestSmtp> {
  const messages: ParsedMail[] = [];
  let server: SMTPServer | undefined;
  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      server = newServer(messages);
      server.on("error", reject);
      server.listen(p, "127.0.0.1", () => resolve((server!.server.address() as AddressInfo).port));
    });
  const actual = await listen(port);
  const stop = () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  return {
    url: `smtp://127.0.0.1:${actual}`,
    port: actual,
    messages,
    to: (address) => messages.filter((m) => (Array.isArray(m.to) ? m.to : [m.to]).some((t) => t?.value.some((v) => v.address === address))),
    stop,
    listen: async () => {
      await listen(actual);
    },
    close: stop,
  };
}

/** A test SMTP server and the app's mail worker sending to it; `inbox(email)` delivers what is due first. */
export async function startMailCapture(env: TestEnv) {
  const smtp = await startSmtp();
  const worker = testMailWorker(env, smtp.url);
  return {
    smtp,
    worker,
    async inbox(email: string): Promise<ParsedMail[]> {
      while ((await worker.runOnce()).sent > 0);
      return smtp.to(email);
    },
    async close() {
      await worker.stop();
      await smtp.close();
    },
  };
}

export type MailCapture = Awaited<ReturnType<typeof startMailCapture>>;

/**
 * The setup of every file that reads the mails: beforeAll starts a fresh test app and the capture
 * of its mails and hands them to `ready`; afterAll closes both.
 */
export function useAppWithMail(ready: (env: TestEnv, mail: MailCapture) => void) {
  let close = async () => undefined;
  beforeAll(async () => {
    const env = await startTestApp();
    const mail = await startMailCapture(env);
    close = async () => {
      await mail.close();
      await env.close();
    };
    ready(env, mail);
  });
  afterAll(() => close());
}

/** A port nothing listens on (for "SMTP is down" from the start). */
export async function unusedPort(): Promise<number> {
  const smtp = await startSmtp();
  await smtp.close();
  return smtp.port;
}
