import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfigError, loadConfig } from "./config";

const good: Record<string, string | undefined> = {
  NODE_ENV: "production",
  JWT_ACCESS_SECRET: "Qm3v8hZ1xK0pT7sW2yL9cR4nB6dF5gJa",
  JWT_REFRESH_SECRET: "Rn4w9iA2yL1qU8tX3zM0dS5oC7eG6hKb",
  JWT_2FA_SECRET: "So5x0jB3zM2rV9uY4aN1eT6pD8fH7iLc",
  CSRF_SECRET: "Tp6y1kC4aN3sW0vZ5bO2fU7qE9gI8jMd",
  BACKUP_CODE_KEY: "Uq7z2lD5bO4tX1wA6cP3gV8rF0hJ9kNe",
  TWOFA_ENCRYPTION_KEY: "2yQ4Xb0bH4Qe6m8T1m0h2nYp9Kx1wq3ZlJrV7cS5u0A=",
  APP_URL: "https://auth.example.com",
  DATABASE_URL: "postgresql://twofa@db.example.com:5432/twofa",
  SMTP_URL: "smtp://mailer:secret@smtp.example.com:587",
};
const load = (env: Record<string, string | undefined>) => loadConfig(env as NodeJS.ProcessEnv, "/nonexistent");
/** The problem lines of the ConfigError `env` is refused with. */
function refusal(env: Record<string, string | undefined>): string[] {
  try {
    load(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.message.split("\n").slice(1).map((l) => l.replace(/^ {2}- /, ""));
  }
  throw new Error("the configuration was accepted");
}

describe("config (rule 11: parsed once with zod; production refuses weak secrets)", () => {
  test("production with every secret boots, with secure cookies", () => {
    const config = load(good);
    expect(config.cookies).toEqual({ sameSite: "lax", secure: true });
    expect(config.totp.window).toBe(1);
  });

  test.each(["JWT_ACCESS_SECRET", "JWT_REFRESH_SECRET", "JWT_2FA_SECRET", "CSRF_SECRET", "BACKUP_CODE_KEY"])("production stops when %s is missing or short, naming it", (name) => {
    expect(refusal({ ...good, [name]: undefined })).toEqual([`${name} is required`]);
    expect(refusal({ ...good, [name]: "short" })).toEqual([`${name} must be at least 32 characters`]);
  });

  test("production stops without an encryption key or with a wrong-size one", () => {
    expect(() => load({ ...good, TWOFA_ENCRYPTION_KEY: undefined })).toThrow(ConfigError);
    expect(() => load({ ...good, TWOFA_ENCRYPTION_KEY: "abcd" })).toThrow(/32 bytes/);
  });

  test("rotation keys: first encrypts, all decrypt", () => {
    const k = (b: number) => Buffer.alloc(32, b).toString("base64");
    const k2 = "Zm9vYmFyLXR3b2ZhLWtleS0yLWlzLXJhbmRvbS1iaXQ=";
    const config = load({ ...good, TWOFA_ENCRYPTION_KEY: undefined, TWOFA_ENCRYPTION_KEYS: `k2:${k2},k1:${good.TWOFA_ENCRYPTION_KEY}` });
    expect(config.encryptionKeys.map((e) => e.id)).toEqual(["k2", "k1"]);
    expect(() => load({ ...good, TWOFA_ENCRYPTION_KEY: undefined, TWOFA_ENCRYPTION_KEYS: `k2:${k(2)},k1:${k(1)}` })).toThrow(/encryption key k2 is weak[\s\S]*encryption key k1 is weak/);
  });

  test("development generates secrets once and reuses them", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "twofa-")), "dev-secrets.json");
    const a = loadConfig({ NODE_ENV: "development" }, file);
    const b = loadConfig({ NODE_ENV: "development" }, file);
    expect(a.jwt.accessSecret).toHaveLength(43);
    expect(b.jwt.accessSecret).toBe(a.jwt.accessSecret);
    expect(b.encryptionKeys[0].key.equals(a.encryptionKeys[0].key)).toBe(true);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  test("TOTP_WINDOW is configurable and bounded", () => {
    expect(load({ ...good, TOTP_WINDOW: "2" }).totp.window).toBe(2);
    expect(() => load({ ...good, TOTP_WINDOW: "abc" })).toThrow(/TOTP_WINDOW/);
  });
});

// Issue 19: one production check at boot. Each unsafe setting alone stops it with its own line;
// all of them at once give every line, in one message.
const UNSAFE: Array<[string, Record<string, string | undefined>, RegExp]> = [
  ["a missing secret", { JWT_REFRESH_SECRET: undefined }, /^JWT_REFRESH_SECRET is required$/],
  ["a short secret", { CSRF_SECRET: "too-short" }, /^CSRF_SECRET must be at least 32 characters$/],
  ["a guessable secret", { JWT_ACCESS_SECRET: "a".repeat(40) }, /^JWT_ACCESS_SECRET is weak/],
  ["one secret used twice", { BACKUP_CODE_KEY: good.JWT_2FA_SECRET }, /^BACKUP_CODE_KEY is the same value as JWT_2FA_SECRET/],
  ["a guessable encryption key", { TWOFA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64") }, /^the encryption key k1 is weak/],
  ["no encryption key", { TWOFA_ENCRYPTION_KEY: undefined }, /^TWOFA_ENCRYPTION_KEY \(or TWOFA_ENCRYPTION_KEYS\) is required$/],
  ["no DATABASE_URL", { DATABASE_URL: undefined }, /^DATABASE_URL is required in production/],
  ["no SMTP_URL", { SMTP_URL: undefined }, /^SMTP_URL is required in production/],
  ["no APP_URL", { APP_URL: undefined }, /^APP_URL is required in production/],
  ["APP_URL on plain http", { APP_URL: "http://auth.example.com" }, /^APP_URL must be the public https address of the app, not http:\/\/auth.example.com/],
  ["APP_URL on localhost", { APP_URL: "https://localhost:3000" }, /^APP_URL must be the public https address/],
  ["WEBAUTHN_RP_ID of another site", { WEBAUTHN_RP_ID: "localhost" }, /^WEBAUTHN_RP_ID localhost does not match APP_URL: it must be auth.example.com or a parent/],
  ["WEBAUTHN_ORIGINS without APP_URL's origin", { WEBAUTHN_ORIGINS: "https://other.example.com" }, /^WEBAUTHN_ORIGINS must include APP_URL's origin https:\/\/auth.example.com/],
  ["WEBAUTHN_ORIGINS on plain http", { WEBAUTHN_ORIGINS: "https://auth.example.com,http://auth.example.com" }, /^WEBAUTHN_ORIGINS must be https origins in production, not http:\/\/auth.example.com$/],
  ["COOKIE_SECURE=false", { COOKIE_SECURE: "false" }, /^COOKIE_SECURE=false sends session cookies over plain http/],
];

describe("one production check at boot (issue 19)", () => {
  test.each(UNSAFE)("%s alone: refused with its own line", (_name, spoil, line) => {
    const lines = refusal({ ...good, ...spoil });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
  });

  test("all of them at once: every line in ONE message (secrets and the encryption key in the same round)", () => {
    const everything = { NODE_ENV: "production", COOKIE_SECURE: "false", APP_URL: "http://127.0.0.1:3300", WEBAUTHN_RP_ID: "localhost", WEBAUTHN_ORIGINS: "http://localhost:3000" };
    const lines = refusal(everything);
    for (const name of ["JWT_ACCESS_SECRET", "JWT_REFRESH_SECRET", "JWT_2FA_SECRET", "CSRF_SECRET", "BACKUP_CODE_KEY"]) expect(lines).toContain(`${name} is required`);
    for (const line of [/^TWOFA_ENCRYPTION_KEY/, /^DATABASE_URL/, /^SMTP_URL/, /^APP_URL must be/, /^WEBAUTHN_RP_ID localhost does not match/, /^WEBAUTHN_ORIGINS must include/, /^WEBAUTHN_ORIGINS must be https/, /^COOKIE_SECURE=false/]) {
      expect(lines.filter((l) => line.test(l))).toHaveLength(1);
    }
    expect(lines).toHaveLength(13);
  });

  test("MAIL_TRANSPORT=file on purpose replaces SMTP_URL (the files go to MAIL_DIR)", () => {
    expect(load({ ...good, SMTP_URL: undefined, MAIL_TRANSPORT: "file" }).mail.smtpUrl).toBeUndefined();
    expect(load({ ...good, MAIL_TRANSPORT: "file" }).mail.smtpUrl).toBeUndefined();
    expect(refusal({ ...good, SMTP_URL: undefined, MAIL_TRANSPORT: "smtp" })).toEqual([expect.stringMatching(/^MAIL_TRANSPORT=smtp needs SMTP_URL/), expect.stringMatching(/^SMTP_URL is required/)]);
  });

  test("passkeys default to APP_URL's site in production; a parent domain as RP ID is fine", () => {
    expect(load(good).webauthn).toMatchObject({ rpId: "auth.example.com", origins: ["https://auth.example.com"] });
    expect(load({ ...good, WEBAUTHN_RP_ID: "example.com" }).webauthn).toMatchObject({ rpId: "example.com", origins: ["https://auth.example.com"] });
  });

  test("development needs none of it, and its APP_URL follows PORT", () => {
    const dev = { NODE_ENV: "development", ...Object.fromEntries(Object.entries(good).filter(([k]) => k.includes("SECRET") || k.includes("KEY"))) };
    const config = load({ ...dev, PORT: "3300" });
    expect([config.appUrl, config.webauthn.origins[0], config.databaseUrl, config.mail.smtpUrl]).toEqual(["http://localhost:3300", "http://localhost:3300", undefined, undefined]);
  });

  test("a real boot: NODE_ENV=production with nothing set prints every line once and exits 1", () => {
    const env = { PATH: process.env.PATH, NODE_ENV: "production" };
    const run = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "main.ts")], { env, encoding: "utf8", timeout: 60_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^Invalid production configuration \(9 to fix\):\n/);
    for (const name of ["JWT_ACCESS_SECRET", "TWOFA_ENCRYPTION_KEY", "DATABASE_URL", "SMTP_URL", "APP_URL"]) expect(run.stderr).toContain(`  - ${name}`);
  }, 90_000);
});
