// Outgoing mail behind one small interface. Two implementations, chosen by the config:
//  - SMTP_URL set: nodemailer's SMTP transport (smtp:// or smtps://, credentials in the URL);
//  - otherwise (development default, no server needed): each message is written to MAIL_DIR
//    (.data/mail) as an .eml file, and one log line names the file.
// Only the mail worker (./worker.ts) sends; everything else writes an outbox row (./outbox.ts).
import fs from "node:fs";
import path from "node:path";
import nodemailer, { type SendMailOptions } from "nodemailer";
import type { Logger } from "pino";
import { REPO_ROOT, type Config } from "../config";

export interface MailMessage {
  /** the outbox row's id: becomes the Message-ID, so a receiver can drop a duplicate */
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  /** resolves once the server (or the folder) accepted the message; rejects otherwise */
  send(message: MailMessage): Promise<void>;
  close(): void;
  /** for the boot log: where mail goes */
  readonly description: string;
}

/** nodemailer's error for an SMTP reply: a 5xx reply is permanent (retrying cannot help). */
export function isPermanentMailError(err: unknown): boolean {
  const code = (err as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === "number" && code >= 500 && code < 600;
}

function messageIdDomain(from: string): string {
  const match = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from);
  return match ? match[1] : "twofa.local";
}

function envelope(from: string, message: MailMessage): SendMailOptions {
  return {
    from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    messageId: `<${message.id}@${messageIdDomain(from)}>`,
    headers: { "Auto-Submitted": "auto-generated" },
  };
}

/** Timeouts well under nodemailer's defaults (2 min to connect): a dead server must not stall the worker. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

export function smtpMailer(smtpUrl: string, from: string): Mailer {
  const url = new URL(smtpUrl);
  const transport = nodemailer.createTransport({
    host: url.hostname,
    port: url.port ? Number(url.port) : url.protocol === "smtps:" ? 465 : 587,
    secure: url.protocol === "smtps:",
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    ...SMTP_TIMEOUTS,
  });
  return {
    async send(message) {
      await transport.sendMail(envelope(from, message));
    },
    close: () => transport.close(),
    description: `SMTP ${url.protocol}//${url.hostname}:${url.port || (url.protocol === "smtps:" ? 465 : 587)}`,
  };
}

/** Development: the raw message (RFC 5322, what an SMTP server would get) in `<dir>/<time>-<id>.eml`. */
export function fileMailer(dir: string, from: string, logger: Pick<Logger, "info">): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  const shown = (file: string) => (file.startsWith(REPO_ROOT + path.sep) ? path.relative(REPO_ROOT, file) : file);
  return {
    async send(message) {
      const info = await transport.sendMail(envelope(from, message));
      fs.mkdirSync(dir, { recursive: true });
      const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
      const file = path.join(dir, `${stamp}-${message.id}.eml`);
      // Written under a temporary name, then renamed: a reader never sees half a message.
      fs.writeFileSync(`${file}.tmp`, info.message as Buffer, { mode: 0o600 });
      fs.renameSync(`${file}.tmp`, file);
      logger.info(`mail to ${message.to} "${message.subject}" written to ${shown(file)}`);
    },
    close: () => transport.close(),
    description: `files in ${shown(dir)} (set SMTP_URL to send)`,
  };
}

export function createMailer(config: Pick<Config, "mail">, logger: Pick<Logger, "info">): Mailer {
  return config.mail.smtpUrl ? smtpMailer(config.mail.smtpUrl, config.mail.from) : fileMailer(config.mail.dir, config.mail.from, logger);
}
