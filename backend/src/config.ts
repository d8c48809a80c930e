// The only module that reads process.env. Everything else receives a parsed Config.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
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

/**
 * The app's PostgreSQL pool (db/prisma.ts). Why these values:
 * - max 10 connections: PostgreSQL allows 100 by default (3 reserved); 10 per process leaves
 *   room for several WEB_CONCURRENCY workers, migrations and an operator's psql. The hot paths
 *   spend ~0.25 ms per query (bench/), so 10 connections already keep a 2-core PostgreSQL busy:
 *   more would only add contention, not throughput.
 * - connectionTimeoutMs 3000: how long a request may wait for a connection (pool full, or
 *   PostgreSQL down). Past it the request fails fast with 503 + Retry-After instead of hanging;
 *   3 s is far above a normal wait under load (bench: p99 130 ms at 64 connections).
 * - statementTimeoutMs 5000 (PostgreSQL statement_timeout, set per connection): every statement
 *   of the app takes milliseconds; one still running after 5 s is stuck behind a lock or on a
 *   runaway plan and holds one of only 10 connections. PostgreSQL cancels it (SQLSTATE 57014),
 *   the request answers 503 with Retry-After, and the connection is free again. Migrations use
 *   their own connection (db/migrate.ts) and are not limited by it. 0 turns it off.
 */
export const DATABASE_POOL_DEFAULTS = { max: 10, connectionTimeoutMs: 3000, statementTimeoutMs: 5000 } as const;

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: intFrom(3000),
  HOST: z.string().default("0.0.0.0"),
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** pretty: short readable lines (development default); json: one JSON object a line (elsewhere) */
  LOG_FORMAT: z.enum(["pretty", "json"]).optional(),
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
  /** WebAuthn relying party: a domain (never an IP), the site's host or a parent of it; default localhost */
  WEBAUTHN_RP_ID: z.string().min(1).max(253).optional(),
  /** the name a browser shows when adding a passkey; default TOTP_ISSUER */
  WEBAUTHN_RP_NAME: z.string().min(1).max(64).optional(),
  /** comma list of the exact origins the SPA runs on; default http://localhost:<PORT>,http://localhost:4200 */
  WEBAUTHN_ORIGINS: z.string().optional(),
  LOGIN_CHALLENGE_TTL_SECONDS: intFrom(300).pipe(z.number().min(1)),
  REAUTH_MAX_AGE_SECONDS: intFrom(600),
  PENDING_SETUP_TTL_SECONDS: intFrom(900).pipe(z.number().min(1)),
  RATE_LIMIT_IP_MAX: intFrom(100),
  /** wrong passwords per email per 15 minutes (security/login-budget.ts); at least 1, or nobody could sign in */
  RATE_LIMIT_EMAIL_FAILURES: intFrom(10).pipe(z.number().min(1)),
  /** registrations per IP per hour (DESIGN §6.13) */
  RATE_LIMIT_REGISTER_IP_MAX: intFrom(20),
  /** password-reset requests (and reset attempts) per IP per hour */
  RATE_LIMIT_RESET_IP_MAX: intFrom(20),
  /** reset emails per address per hour; past it the answer is the same but no email is sent */
  RATE_LIMIT_RESET_EMAIL_MAX: intFrom(3),
  /** argon2 hashes/verifies run at once; default: see passwordHashing below */
  PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(64).optional(),
  /** argon2 jobs allowed to wait for a slot; past it 503 at once */
  PASSWORD_HASH_QUEUE_MAX: z.coerce.number().int().nonnegative().optional(),
  /** libuv's thread pool, where argon2 runs (Node reads it itself; read here only to size the queue) */
  UV_THREADPOOL_SIZE: z.coerce.number().int().min(1).max(1024).default(4),
  DB_POOL_MAX: intFrom(DATABASE_POOL_DEFAULTS.max).pipe(z.number().min(1).max(1000)),
  DB_CONNECTION_TIMEOUT_MS: intFrom(DATABASE_POOL_DEFAULTS.connectionTimeoutMs).pipe(z.number().min(1)),
  DB_STATEMENT_TIMEOUT_MS: intFrom(DATABASE_POOL_DEFAULTS.statementTimeoutMs),
  COOKIE_SAMESITE: z.enum(["lax", "strict", "none"]).default("lax"),
  COOKIE_SECURE: z.enum(["true", "false"]).optional(),
  CORS_ORIGIN: z.string().optional(),
  TRUST_PROXY: z.string().optional(),
  FRONTEND_DIST: z.string().optional(),
  /** unset: a free port picked on the first start and remembered in .data/pg.port (db/embedded-port.ts) */
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** data folder of the embedded PostgreSQL (relative to the repository root); default .data/pg */
  EMBEDDED_PG_DIR: z.string().optional(),
  /** HTTP worker processes (node:cluster). 1 = a single process, no cluster. */
  WEB_CONCURRENCY: intFrom(1).pipe(z.number().min(1).max(64)),
  /** smtp://user:pass@host:587 or smtps://...; unset: each message is written to MAIL_DIR as an .eml file */
  SMTP_URL: z.string().url().optional(),
  /** smtp (needs SMTP_URL) or file (.eml files in MAIL_DIR); default: smtp when SMTP_URL is set */
  MAIL_TRANSPORT: z.enum(["smtp", "file"]).optional(),
  MAIL_FROM: z.string().min(3).max(200).default("TwoFA <no-reply@localhost>"),
  /** where the development mailer writes messages (relative to the repository root); default .data/mail */
  MAIL_DIR: z.string().optional(),
  /** how often the mail worker looks for due messages */
  MAIL_POLL_INTERVAL_MS: intFrom(2000).pipe(z.number().min(50)),
  /** the SPA's public address, for links in emails; required in production, else http://localhost:<PORT> */
  APP_URL: z.string().url().optional(),
  /** serve GET /openapi.json and the /api-docs page; default on except in production */
  API_DOCS: z.enum(["true", "false"]).optional(),
  /** serves GET /metrics (Prometheus) to requests bearing it; unset: no metrics at all */
  METRICS_TOKEN: z.string().min(16, "METRICS_TOKEN must be at least 16 characters").optional(),
  /** roles that must use 2FA: comma-separated USER / ADMIN, or "none" */
  TWOFA_REQUIRED_ROLES: z
    .string()
    .default("ADMIN")
    .transform((s) => (s.trim().toLowerCase() === "none" ? [] : s.split(",").map((r) => r.trim().toUpperCase()).filter(Boolean)))
    .pipe(z.array(z.enum(["USER", "ADMIN"], { error: "must list USER and/or ADMIN (or be none)" }))),
  /** hours a user of such a role may still work without 2FA, from their first sign-in under the rule */
  TWOFA_GRACE_HOURS: z.coerce.number().nonnegative().max(24 * 365).default(48),
});

/** Every environment variable the config reads (docs/CONFIGURATION.md's table lists them all). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

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
  logFormat: "pretty" | "json";
  jwt: { accessSecret: string; refreshSecret: string; twoFactorSecret: string; issuer: string; audience: string };
  csrfSecret: string;
  backupCodeKey: string;
  /** HMAC key of the device cookies (security/device-cookie.ts), derived from JWT_REFRESH_SECRET */
  deviceCookieKey: Buffer;
  /** first one encrypts; every one decrypts (rotation) */
  encryptionKeys: EncryptionKey[];
  totp: { window: number; issuer: string };
  /** passkeys (two-factor/passkey/webauthn.ts): RP ID, name, the origins a response may come from */
  webauthn: WebAuthnConfig;
  loginChallengeTtlSeconds: number;
  reauthMaxAgeSeconds: number;
  pendingSetupTtlSeconds: number;
  rateLimit: { ipMax: number; emailFailures: number; windowMs: number; registerIpMax: number; registerWindowMs: number; resetIpMax: number; resetEmailMax: number; resetWindowMs: number };
  /** admission control for argon2 (auth/password.ts) */
  passwordHashing: { concurrency: number; maxQueue: number };
  /** the app's PostgreSQL pool (db/prisma.ts); see DATABASE_POOL_DEFAULTS */
  database: { max: number; connectionTimeoutMs: number; statementTimeoutMs: number };
  cookies: { sameSite: "lax" | "strict" | "none"; secure: boolean };
  corsOrigin?: string[];
  trustProxy?: string;
  frontendDist: string;
  /** EMBEDDED_PG_PORT; undefined = the folder's remembered port (db/embedded-port.ts) */
  embeddedPgPort?: number;
  /** absolute; undefined = .data/pg */
  embeddedPgDir?: string;
  /** number of HTTP worker processes; > 1 runs a node:cluster primary that forks them */
  webConcurrency: number;
  /** outgoing mail (backend/src/mail): SMTP when smtpUrl is set, else .eml files in `dir` */
  mail: { smtpUrl?: string; from: string; dir: string; pollIntervalMs: number };
  /** the SPA's public address (no trailing slash), for links in emails */
  appUrl: string;
  /** whether /openapi.json and /api-docs are served */
  apiDocs: boolean;
  /** the bearer token of GET /metrics; undefined: metrics off */
  metricsToken?: string;
  /** who must use 2FA, and how long they may work without it (two-factor/enforcement.ts) */
  twoFactorEnforcement: { requiredRoles: ("USER" | "ADMIN")[]; graceMs: number };
}

export class ConfigError extends Error {}

export interface WebAuthnConfig {
  rpId: string;
  rpName: string;
  origins: string[];
}

/**
 * WebAuthn needs a domain: browsers refuse an IP address as RP ID, and every origin's host must be
 * the RP ID or a subdomain of it (else no browser would sign for it). Checked at boot, so a wrong
 * value is a clear message rather than passkeys that silently never work.
 */
function parseWebAuthn(env: z.infer<typeof envSchema>): WebAuthnConfig {
  // in production the defaults are the site APP_URL names (the passkeys are made for it)
  const site = env.NODE_ENV === "production" && env.APP_URL ? URL.parse(env.APP_URL) : null;
  const rpId = (env.WEBAUTHN_RP_ID ?? site?.hostname ?? "localhost").trim().toLowerCase();
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(rpId) || /^[0-9.]+$/.test(rpId)) {
    throw new ConfigError(`WEBAUTHN_RP_ID must be a domain name such as example.com or localhost (not an IP address or a URL): ${rpId}`);
  }
  const list = env.WEBAUTHN_ORIGINS ?? site?.origin ?? `http://localhost:${env.PORT},http://localhost:4200`;
  const origins = list.split(",").map((o) => o.trim()).filter(Boolean).map((raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(`WEBAUTHN_ORIGINS: ${raw} is not a URL like https://app.example.com`);
    }
    if (url.origin !== raw.replace(/\/+$/, "") || !/^https?:$/.test(url.protocol)) {
      throw new ConfigError(`WEBAUTHN_ORIGINS: ${raw} must be an origin only (scheme, host, optional port), like https://app.example.com`);
    }
    if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`)) {
      throw new ConfigError(`WEBAUTHN_ORIGINS: ${raw} is not on WEBAUTHN_RP_ID ${rpId} (its host must be ${rpId} or a subdomain of it)`);
    }
    return url.origin;
  });
  if (origins.length === 0) throw new ConfigError("WEBAUTHN_ORIGINS must name at least one origin");
  return { rpId, rpName: env.WEBAUTHN_RP_NAME ?? env.TOTP_ISSUER, origins: [...new Set(origins)] };
}

/**
 * Admission control for argon2id (DESIGN §6.13). Each hash or verify holds ~19 MiB and one
 * libuv thread for ~25 ms (measured here, one core). Defaults:
 * - concurrency: the core count, but at most one less than libuv's thread pool, so file system,
 *   DNS and zlib work always find a free thread; more than the cores does not finish hashes
 *   sooner, it only makes every one of them slower;
 * - queue: 32 waiting jobs per running slot, i.e. a wait of at most ~32 × 25 ms ≈ 0.8 s before
 *   a hash starts; past that a new one is refused with 503 at once rather than queued behind
 *   seconds of work (a flood of logins cannot make everyone's login slow).
 */
export function passwordHashingDefaults(threadPoolSize = 4, cores = os.availableParallelism()) {
  const concurrency = Math.max(1, Math.min(cores, threadPoolSize - 1));
  return { concurrency, maxQueue: 32 * concurrency };
}

function passwordHashingLimits(env: z.infer<typeof envSchema>) {
  const concurrency = env.PASSWORD_HASH_CONCURRENCY ?? passwordHashingDefaults(env.UV_THREADPOOL_SIZE).concurrency;
  return { concurrency, maxQueue: env.PASSWORD_HASH_QUEUE_MAX ?? 32 * concurrency };
}

function parseKey(raw: string, name: string): Buffer {
  const key = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, "hex") : Buffer.from(raw, "base64");
  if (key.length !== 32) throw new ConfigError(`${name} must be 32 bytes, base64 or hex encoded`);
  return key;
}

function parseEncryptionKeys(env: Record<string, string | undefined>): EncryptionKey[] {
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

/** fn's result, or undefined with its ConfigError's message added to `problems`. */
function collect<T>(problems: string[], fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(err.message);
    return undefined;
  }
}

const LOOPBACK_HOST = /^(localhost|.*\.localhost|127(\.\d{1,3}){3}|\[::1\]|0\.0\.0\.0)$/i;

/**
 * What production refuses, on the raw variables (so that it is reported beside the schema's own
 * problems, in the same message). Each entry names the variable and what to do.
 */
export function productionProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  problems.push(...weakSecrets(env));
  if (!env.DATABASE_URL) {
    problems.push("DATABASE_URL is required in production (the embedded PostgreSQL is for development): postgresql://user:password@host:5432/twofa");
  }
  if (!env.SMTP_URL && env.MAIL_TRANSPORT !== "file") {
    problems.push("SMTP_URL is required in production (reset links and security emails must reach people): smtp://user:pass@host:587; MAIL_TRANSPORT=file writes them to MAIL_DIR instead, on purpose");
  }
  const appUrl = env.APP_URL ? URL.parse(env.APP_URL) : null;
  if (!env.APP_URL) {
    problems.push("APP_URL is required in production: the public https address of the app (the links in emails point there)");
  } else if (appUrl && (appUrl.protocol !== "https:" || LOOPBACK_HOST.test(appUrl.hostname))) {
    problems.push(`APP_URL must be the public https address of the app, not ${env.APP_URL} (the links in emails point there)`);
  }
  if (appUrl && env.WEBAUTHN_RP_ID) {
    const rpId = env.WEBAUTHN_RP_ID.trim().toLowerCase();
    if (appUrl.hostname !== rpId && !appUrl.hostname.endsWith(`.${rpId}`)) {
      problems.push(`WEBAUTHN_RP_ID ${rpId} does not match APP_URL: it must be ${appUrl.hostname} or a parent domain of it, or be left unset (browsers refuse passkeys for another site)`);
    }
  }
  if (appUrl && env.WEBAUTHN_ORIGINS) {
    const origins = env.WEBAUTHN_ORIGINS.split(",").map((o) => o.trim().replace(/\/+$/, "")).filter(Boolean);
    if (!origins.includes(appUrl.origin)) {
      problems.push(`WEBAUTHN_ORIGINS must include APP_URL's origin ${appUrl.origin}, or be left unset (passkeys would fail on the app's own page)`);
    }
    const plain = origins.filter((o) => !o.startsWith("https://"));
    if (plain.length) problems.push(`WEBAUTHN_ORIGINS must be https origins in production, not ${plain.join(", ")}`);
  }
  if (env.COOKIE_SECURE === "false") {
    problems.push("COOKIE_SECURE=false sends session cookies over plain http: remove it (behind a TLS proxy, set TRUST_PROXY instead)");
  }
  return problems;
}

/**
 * Secrets that are long enough but guessable: a repeated or near-constant string (few distinct
 * characters), or one value used for two purposes (one leak would then open both).
 */
function weakSecrets(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const name of SECRET_NAMES) {
    const value = env[name];
    if (!value || value.length < MIN_SECRET_LENGTH) continue; // the schema already says so
    if (new Set(value).size < 12) problems.push(`${name} is weak (too few distinct characters): use a random value (npm run secrets)`);
    const twin = seen.get(value);
    if (twin) problems.push(`${name} is the same value as ${twin}: each secret must be its own random value (npm run secrets)`);
    seen.set(value, name);
  }
  // a key of repeated bytes (Buffer.alloc(32, 7), a copied example) encrypts nothing worth the name
  const keys = env.TWOFA_ENCRYPTION_KEYS || env.TWOFA_ENCRYPTION_KEY ? collect([], () => parseEncryptionKeys(env)) : undefined;
  for (const { id, key } of keys ?? []) {
    if (new Set(key).size < 16) problems.push(`the encryption key ${id} is weak (too few distinct bytes): use a random one (npm run secrets)`);
  }
  return problems;
}

/** Fresh random values for every secret the config needs (256 bits each). */
export function generateSecrets(): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const name of SECRET_NAMES) secrets[name] = crypto.randomBytes(32).toString("base64url");
  secrets.TWOFA_ENCRYPTION_KEY = crypto.randomBytes(32).toString("base64");
  return secrets;
}

/**
 * Development convenience: secrets generated once and kept in .data/dev-secrets.json so that
 * `npm start` needs no setup and sessions survive restarts. Never used in production.
 */
function loadDevSecrets(file: string): Record<string, string> {
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8"));
  const secrets = generateSecrets();
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

  // Every problem is collected and reported in one message: an operator fixes them all in one go
  // instead of discovering them one boot at a time.
  const problems: string[] = [];
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    // "JWT_ACCESS_SECRET is required" already names the variable: no "JWT_ACCESS_SECRET: " before it
    problems.push(...parsed.error.issues.map((i) => (i.message.startsWith(String(i.path[0])) ? i.message : `${i.path.join(".")}: ${i.message}`)));
  }
  if (input.MAIL_TRANSPORT === "smtp" && !input.SMTP_URL) problems.push("MAIL_TRANSPORT=smtp needs SMTP_URL (smtp://user:pass@host:587)");
  const encryptionKeys = collect(problems, () => parseEncryptionKeys(input));
  if (input.COOKIE_SAMESITE === "none" && input.COOKIE_SECURE === "false") {
    problems.push("COOKIE_SAMESITE=none requires secure cookies (COOKIE_SECURE must not be false)");
  }
  if (input.NODE_ENV === "production") problems.push(...productionProblems(input));
  // a WebAuthn value production already refused would only be reported a second time here
  const webauthnRefused = problems.some((p) => p.startsWith("WEBAUTHN_"));
  const webauthn = parsed.success && !webauthnRefused ? collect(problems, () => parseWebAuthn(parsed.data)) : undefined;
  if (problems.length > 0 || !parsed.success || !encryptionKeys || !webauthn) {
    const where = input.NODE_ENV === "production" ? "production " : "";
    throw new ConfigError(`Invalid ${where}configuration (${problems.length} to fix):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
  const env = parsed.data;

  return {
    env: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT ?? (env.NODE_ENV === "development" ? "pretty" : "json"),
    jwt: {
      accessSecret: env.JWT_ACCESS_SECRET,
      refreshSecret: env.JWT_REFRESH_SECRET,
      twoFactorSecret: env.JWT_2FA_SECRET,
      issuer: "twofa-api",
      audience: "twofa-web",
    },
    csrfSecret: env.CSRF_SECRET,
    backupCodeKey: env.BACKUP_CODE_KEY,
    // Its own key (HKDF, so it says nothing about the refresh secret), without one more variable
    // for every deployment to set. Tied to the refresh secret on purpose: rotating that one signs
    // every browser out, and forgets which browsers were known, together.
    deviceCookieKey: Buffer.from(crypto.hkdfSync("sha256", env.JWT_REFRESH_SECRET, "", "twofa device cookie v1", 32)),
    encryptionKeys,
    totp: { window: env.TOTP_WINDOW, issuer: env.TOTP_ISSUER },
    webauthn,
    loginChallengeTtlSeconds: env.LOGIN_CHALLENGE_TTL_SECONDS,
    reauthMaxAgeSeconds: env.REAUTH_MAX_AGE_SECONDS,
    pendingSetupTtlSeconds: env.PENDING_SETUP_TTL_SECONDS,
    rateLimit: {
      ipMax: env.RATE_LIMIT_IP_MAX,
      emailFailures: env.RATE_LIMIT_EMAIL_FAILURES,
      windowMs: 15 * 60 * 1000,
      registerIpMax: env.RATE_LIMIT_REGISTER_IP_MAX,
      registerWindowMs: 60 * 60 * 1000,
      resetIpMax: env.RATE_LIMIT_RESET_IP_MAX,
      resetEmailMax: env.RATE_LIMIT_RESET_EMAIL_MAX,
      resetWindowMs: 60 * 60 * 1000,
    },
    passwordHashing: passwordHashingLimits(env),
    database: { max: env.DB_POOL_MAX, connectionTimeoutMs: env.DB_CONNECTION_TIMEOUT_MS, statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS },
    cookies: {
      sameSite: env.COOKIE_SAMESITE,
      secure: env.COOKIE_SECURE ? env.COOKIE_SECURE === "true" : env.NODE_ENV === "production" || env.COOKIE_SAMESITE === "none",
    },
    corsOrigin: env.CORS_ORIGIN?.split(",").map((o) => o.trim()).filter(Boolean),
    trustProxy: env.TRUST_PROXY,
    frontendDist: env.FRONTEND_DIST ?? path.join(REPO_ROOT, "frontend/dist/browser"),
    embeddedPgPort: env.EMBEDDED_PG_PORT,
    embeddedPgDir: env.EMBEDDED_PG_DIR ? path.resolve(REPO_ROOT, env.EMBEDDED_PG_DIR) : undefined,
    webConcurrency: env.WEB_CONCURRENCY,
    mail: {
      smtpUrl: env.MAIL_TRANSPORT === "file" ? undefined : env.SMTP_URL,
      from: env.MAIL_FROM,
      dir: path.resolve(REPO_ROOT, env.MAIL_DIR ?? ".data/mail"),
      pollIntervalMs: env.MAIL_POLL_INTERVAL_MS,
    },
    appUrl: (env.APP_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ""),
    apiDocs: env.API_DOCS ? env.API_DOCS === "true" : env.NODE_ENV !== "production",
    metricsToken: env.METRICS_TOKEN,
    twoFactorEnforcement: { requiredRoles: [...new Set(env.TWOFA_REQUIRED_ROLES)], graceMs: Math.round(env.TWOFA_GRACE_HOURS * 3600 * 1000) },
  };
}
