import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfigError, loadConfig } from "./config";

const good = {
  NODE_ENV: "production",
  JWT_ACCESS_SECRET: "a".repeat(32),
  JWT_REFRESH_SECRET: "b".repeat(32),
  JWT_2FA_SECRET: "c".repeat(32),
  CSRF_SECRET: "d".repeat(32),
  BACKUP_CODE_KEY: "e".repeat(32),
  TWOFA_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString("base64"),
  APP_URL: "https://auth.example.com",
  DATABASE_URL: "postgresql://twofa@db.example.com:5432/twofa",
  SMTP_URL: "smtp://mailer:secret@smtp.example.com:587",
};

describe("config (rule 11: parsed once with zod; production refuses weak secrets)", () => {
  test("production with every secret boots, with secure cookies", () => {
    const config = loadConfig(good, "/nonexistent");
    expect(config.cookies).toEqual({ sameSite: "lax", secure: true });
    expect(config.totp.window).toBe(1);
  });

  test.each(["JWT_ACCESS_SECRET", "JWT_REFRESH_SECRET", "JWT_2FA_SECRET", "CSRF_SECRET", "BACKUP_CODE_KEY"])("production stops when %s is missing or short, naming it", (name) => {
    expect(() => loadConfig({ ...good, [name]: undefined }, "/nonexistent")).toThrow(new RegExp(name));
    expect(() => loadConfig({ ...good, [name]: "short" }, "/nonexistent")).toThrow(new RegExp(`${name}.*at least 32`));
  });

  test("production stops without an encryption key or with a wrong-size one", () => {
    expect(() => loadConfig({ ...good, TWOFA_ENCRYPTION_KEY: undefined }, "/nonexistent")).toThrow(ConfigError);
    expect(() => loadConfig({ ...good, TWOFA_ENCRYPTION_KEY: "abcd" }, "/nonexistent")).toThrow(/32 bytes/);
  });

  test("rotation keys: first encrypts, all decrypt", () => {
    const k = (b: number) => Buffer.alloc(32, b).toString("base64");
    const config = loadConfig({ ...good, TWOFA_ENCRYPTION_KEY: undefined, TWOFA_ENCRYPTION_KEYS: `k2:${k(2)},k1:${k(1)}` }, "/nonexistent");
    expect(config.encryptionKeys.map((e) => e.id)).toEqual(["k2", "k1"]);
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
    expect(loadConfig({ ...good, TOTP_WINDOW: "2" }, "/nonexistent").totp.window).toBe(2);
    expect(() => loadConfig({ ...good, TOTP_WINDOW: "abc" }, "/nonexistent")).toThrow(/TOTP_WINDOW/);
  });
});
