// The only module that reads process.env. Everything else receives a parsed Config.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

/** Repository root (works from src/ under tsx/jest and from dist/ after tsc). */
export const REPO_ROOT = path.resolve(__dirname, "../..");
export const DATA_DIR = path.join(REPO_ROOT, ".data");

const MIN_SECRET_LENGTH = 32;
const SECRET_NAMES = ["JWT_ACCESS_SECRET", "JWT_REFRESH_SECRET", "JWT_2FA_SECRET", "CSRF_SECRET", "BACKUP_CODE_KEY"] as const;

const secret = (name: string) =>
  z.string({ error: `${name} is required` }).min(MIN_SECRET_LENGTH, `${name} must be at least ${MIN_SECRET_LENGTH} characters`);

const intFrom = (def: number) => z.coerce.number().int().nonnegative().default(def);

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: intFrom(3000),
  HOST: z.string().default("0.0.0.0"),
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  JWT_ACCESS_SECRET: secret("JWT_ACCESS_SECRET"),
  JWT_REFRESH_SECRET: secret("JWT_REFRESH_SECRET"),
  JWT_2FA_SECRET: secret("JWT_2FA_SECRET"),
  CSRF_SECRET: secret("CSRF_SECRET"),
  BACKUP_CODE_KEY: secret("BACKUP_CODE_KEY"),
  /** "keyId:base64(32 bytes)[,keyId:base64...]"; the first key encrypts, all keys decrypt. */
  TWOFA_ENCRYPTION_KEYS: z.string().optional(),
  /** Single-key shorthand (id "k1"), base64 or hex of 32 bytes. */
  TWOFA_ENCRYPTION_KEY: z.string().optional(),
  TOTP_WINDOW: intFrom(1).pipe(z.number().max(10)),
  TOTP_ISSUER: z.string().min(1).max(64).default("TwoFA"),
  LOGIN_CHALLENGE_TTL_SECONDS: intFrom(300).pipe(z.number().min(1)),
  REAUTH_MAX_AGE_SECONDS: intFrom(600),
  PENDING_SETUP_TTL_SECONDS: intFrom(900).pipe(z.number().min(1)),
  RATE_LIMIT_IP_MAX: intFrom(100),
  RATE_LIMIT_EMAIL_FAILURES: intFrom(10),
  COOKIE_SAMESITE: z.enum(["lax", "strict", "none"]).default("lax"),
  COOKIE_SECURE: z.enum(["true", "false"]).optional(),
  CORS_ORIGIN: z.string().optional(),
  TRUST_PROXY: z.string().optional(),
  FRONTEND_DIST: z.string().optional(),
  EMBEDDED_PG_PORT: intFrom(54320),
  /** HTTP worker processes (node:cluster). 1 = a single process, no cluster. */
  WEB_CONCURRENCY: intFrom(1).pipe(z.number().min(1).max(64)),
});

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export interface Config {
  env: "development" | "production" | "test";
  port: number;
  host: string;
  databaseUrl?: string;
  redisUrl?: string;
  logLevel: string;
  jwt: { accessSecret: string; refreshSecret: string; twoFactorSecret: string; issuer: string; audience: string };
  csrfSecret: string;
  backupCodeKey: string;
  /** first one encrypts; every one decrypts (rotation) */
  encryptionKeys: EncryptionKey[];
  totp: { window: number; issuer: string };
  loginChallengeTtlSeconds: number;
  reauthMaxAgeSeconds: number;
  pendingSetupTtlSeconds: number;
  rateLimit: { ipMax: number; emailFailures: number; windowMs: number };
  cookies: { sameSite: "lax" | "strict" | "none"; secure: boolean };
  corsOrigin?: string[];
  trustProxy?: string;
  frontendDist: string;
  embeddedPgPort: number;
  /** number of HTTP worker processes; > 1 runs a node:cluster primary that forks them */
  webConcurrency: number;
}

export class ConfigError extends Error {}

function parseKey(raw: string, name: string): Buffer {
  const key = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, "hex") : Buffer.from(raw, "base64");
  if (key.length !== 32) throw new ConfigError(`${name} must be 32 bytes, base64 or hex encoded`);
  return key;
}

function parseEncryptionKeys(env: z.infer<typeof envSchema>): EncryptionKey[] {
  if (env.TWOFA_ENCRYPTION_KEYS) {
    return env.TWOFA_ENCRYPTION_KEYS.split(",").map((entry) => {
      const [id, raw] = entry.trim().split(":");
      if (!id || !raw || !/^[A-Za-z0-9_-]{1,16}$/.test(id)) {
        throw new ConfigError("TWOFA_ENCRYPTION_KEYS must look like 'k2:<base64>,k1:<base64>'");
      }
      return { id, key: parseKey(raw, `TWOFA_ENCRYPTION_KEYS (${id})`) };
    });
  }
  if (env.TWOFA_ENCRYPTION_KEY) return [{ id: "k1", key: parseKey(env.TWOFA_ENCRYPTION_KEY, "TWOFA_ENCRYPTION_KEY") }];
  throw new ConfigError("TWOFA_ENCRYPTION_KEY (or TWOFA_ENCRYPTION_KEYS) is required");
}

/**
 * Development convenience: secrets generated once and kept in .data/dev-secrets.json so that
 * `npm start` needs no setup and sessions survive restarts. Never used in production.
 */
function loadDevSecrets(file: string): Record<string, string> {
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8"));
  const secrets: Record<string, string> = {};
  for (const name of SECRET_NAMES) secrets[name] = crypto.randomBytes(32).toString("base64url");
  secrets.TWOFA_ENCRYPTION_KEY = crypto.randomBytes(32).toString("base64");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env, devSecretsFile = path.join(DATA_DIR, "dev-secrets.json")): Config {
  let input: Record<string, string | undefined> = { ...source };
  if ((input.NODE_ENV ?? "development") === "development") {
    const missing = [...SECRET_NAMES, "TWOFA_ENCRYPTION_KEY"].some((n) => !input[n]) && !input.TWOFA_ENCRYPTION_KEYS;
    if (missing) input = { ...loadDevSecrets(devSecretsFile), ...input };
  }
  for (const key of Object.keys(input)) if (input[key] === "") delete input[key];

  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new ConfigError(`Invalid configuration:\n${problems}`);
  }
  const env = parsed.data;
  const encryptionKeys = parseEncryptionKeys(env);
  if (env.COOKIE_SAMESITE === "none" && env.COOKIE_SECURE === "false") {
    throw new ConfigError("COOKIE_SAMESITE=none requires secure cookies (COOKIE_SECURE must not be false)");
  }

  return {
    env: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    logLevel: env.LOG_LEVEL,
    jwt: {
      accessSecret: env.JWT_ACCESS_SECRET,
      refreshSecret: env.JWT_REFRESH_SECRET,
      twoFactorSecret: env.JWT_2FA_SECRET,
      issuer: "twofa-api",
      audience: "twofa-web",
    },
    csrfSecret: env.CSRF_SECRET,
    backupCodeKey: env.BACKUP_CODE_KEY,
    encryptionKeys,
    totp: { window: env.TOTP_WINDOW, issuer: env.TOTP_ISSUER },
    loginChallengeTtlSeconds: env.LOGIN_CHALLENGE_TTL_SECONDS,
    reauthMaxAgeSeconds: env.REAUTH_MAX_AGE_SECONDS,
    pendingSetupTtlSeconds: env.PENDING_SETUP_TTL_SECONDS,
    rateLimit: { ipMax: env.RATE_LIMIT_IP_MAX, emailFailures: env.RATE_LIMIT_EMAIL_FAILURES, windowMs: 15 * 60 * 1000 },
    cookies: {
      sameSite: env.COOKIE_SAMESITE,
      secure: env.COOKIE_SECURE ? env.COOKIE_SECURE === "true" : env.NODE_ENV === "production" || env.COOKIE_SAMESITE === "none",
    },
    corsOrigin: env.CORS_ORIGIN?.split(",").map((o) => o.trim()).filter(Boolean),
    trustProxy: env.TRUST_PROXY,
    frontendDist: env.FRONTEND_DIST ?? path.join(REPO_ROOT, "frontend/dist/browser"),
    embeddedPgPort: env.EMBEDDED_PG_PORT,
    webConcurrency: env.WEB_CONCURRENCY,
  };
}
