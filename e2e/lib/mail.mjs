// The app's development mailer writes each message to MAIL_DIR as an .eml file (backend/src/mail/
// mailer.ts). These helpers read them back: a small RFC 5322 / MIME reader for what nodemailer
// writes (multipart/alternative, quoted-printable or base64 parts, RFC 2047 subjects).
import fs from "node:fs";
import path from "node:path";

const decodeQuotedPrintable = (text) =>
  Buffer.from(
    text
      .replace(/=\r?\n/g, "")
      .replace(/=([0-9A-F]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16))),
    "latin1",
  ).toString("utf8");

/** RFC 2047 encoded words (=?UTF-8?Q?...?= / =?UTF-8?B?...?=), as nodemailer folds them. */
const decodeWords = (value) =>
  value
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=/gi, (_, _charset, enc, data) =>
      enc.toUpperCase() === "B" ? Buffer.from(data, "base64").toString("utf8") : decodeQuotedPrintable(data.replace(/_/g, " ")),
    );

function splitHeaders(raw) {
  const at = raw.search(/\r?\n\r?\n/);
  const head = at < 0 ? raw : raw.slice(0, at);
  const body = at < 0 ? "" : raw.slice(at).replace(/^\r?\n\r?\n/, "");
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { headers, body };
}

function decodeBody(headers, body) {
  const enc = (headers["content-transfer-encoding"] ?? "7bit").toLowerCase();
  if (enc === "quoted-printable") return decodeQuotedPrintable(body);
  if (enc === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  return body;
}

/** {file, to, subject, text, html} of one .eml file. */
export function readEml(file) {
  const { headers, body } = splitHeaders(fs.readFileSync(file, "utf8"));
  const mail = { file, to: headers.to ?? "", subject: decodeWords(headers.subject ?? ""), text: "", html: "" };
  const boundary = /boundary="?([^";]+)"?/i.exec(headers["content-type"] ?? "")?.[1];
  const parts = boundary ? body.split(`--${boundary}`).slice(1, -1).map(splitHeaders) : [{ headers, body }];
  for (const part of parts) {
    const type = (part.headers["content-type"] ?? "text/plain").toLowerCase();
    if (type.startsWith("text/plain")) mail.text = decodeBody(part.headers, part.body);
    if (type.startsWith("text/html")) mail.html = decodeBody(part.headers, part.body);
  }
  return mail;
}

export function readMailbox(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".eml"))
    .sort()
    .map((f) => readEml(path.join(dir, f)));
}

/** Waits (the mail worker polls) for a message to `to` whose subject matches; returns the newest one. */
export async function waitForMail(dir, { to, subject, after = 0 }, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = readMailbox(dir).filter(
      (m) => m.to.includes(to) && (subject instanceof RegExp ? subject.test(m.subject) : m.subject === subject) && fs.statSync(m.file).mtimeMs >= after,
    );
    if (found.length) return found[found.length - 1];
    if (Date.now() > deadline) {
      const seen = readMailbox(dir).map((m) => `${m.to}: ${m.subject}`);
      throw new Error(`no mail to ${to} with subject ${subject} within ${timeoutMs} ms; mailbox: ${JSON.stringify(seen)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
