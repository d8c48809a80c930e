// Test helpers: a fresh database per call (cloned from the migrated template), the app built
// with createApp and an injected clock, and an HTTP client that handles cookies and CSRF.
import crypto from "node:crypto";
import request from "supertest";
import type { Express } from "express";
import pino from "pino";
import { createApp, type AppDeps } from "../src/app";
import { loadConfig, type Config } from "../src/config";
import { createPrisma, type Db } from "../src/db/prisma";
import { generateTotp } from "../src/two-factor/totp/totp";
import { TEST_DB_PREFIX, withAdmin, withDatabase } from "./test-server";

export class TestClock {
  constructor(private ms = Date.UTC(2026, 10, 25, 12, 0, 0)) {}
  now = () => this.ms;
  advance(seconds: number) {
    this.ms += seconds * 1000;
  }
}

export const TEST_ENV = {
  NODE_ENV: "test",
  LOG_LEVEL: "silent",
  TRUST_PROXY: "1",
  JWT_ACCESS_SECRET: "test-access-secret-0123456789abcdef0123",
  JWT_REFRESH_SECRET: "test-refresh-secret-0123456789abcdef012",
  JWT_2FA_SECRET: "test-2fa-secret-0123456789abcdef0123456",
  CSRF_SECRET: "test-csrf-secret-0123456789abcdef012345",
  BACKUP_CODE_KEY: "test-backup-key-0123456789abcdef0123456",
  TWOFA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64"),
} as const;

/** A production configuration that passes the boot check (config.ts productionProblems). */
export const PRODUCTION_ENV: Record<string, string> = {
  ...TEST_ENV,
  TWOFA_ENCRYPTION_KEY: "2yQ4Xb0bH4Qe6m8T1m0h2nYp9Kx1wq3ZlJrV7cS5u0A=",
  NODE_ENV: "production",
  APP_URL: "https://auth.example.com",
  DATABASE_URL: "postgresql://twofa@db.example.com:5432/twofa",
  SMTP_URL: "smtp://mailer:secret@smtp.example.com:587",
};

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ ...TEST_ENV, ...overrides } as NodeJS.ProcessEnv, "/nonexistent");
}

export async function createTestDatabase(): Promise<string> {
  const admin = process.env.TWOFA_TEST_ADMIN_URL!;
  const name = `${TEST_DB_PREFIX}${process.env.TWOFA_TEST_RUN_ID}_${process.pid}_${crypto.randomBytes(4).toString("hex")}`;
  await withAdmin(admin, (c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${process.env.TWOFA_TEST_TEMPLATE}"`));
  return withDatabase(admin, name);
}

export interface TestEnv {
  app: Express;
  db: Db;
  clock: TestClock;
  config: Config;
  url: string;
  close(): Promise<void>;
}

/** One app on a fresh database. `share` puts a second app on the same database (two instances). */
export async function startTestApp(opts: { env?: Record<string, string>; share?: TestEnv; deps?: Partial<AppDeps> } = {}): Promise<TestEnv> {
  const url = opts.share?.url ?? (await createTestDatabase());
  const config = testConfig({ ...opts.env });
  const db = createPrisma(url, { max: 5 });
  const clock = opts.share?.clock ?? new TestClock();
  const app = createApp({ config, db, clock, logger: pino({ level: "silent" }), ...opts.deps });
  return { app, db, clock, config, url, close: () => db.$disconnect() };
}

type Body = string | object | undefined;

/** A browser-like client: keeps cookies, sends X-XSRF-TOKEN like Angular does. */
export class Client {
  readonly agent: ReturnType<typeof request.agent>;
  xsrf = "";
  // Each client is its own "browser" with its own address (per-IP limits are tested explicitly).
  constructor(readonly app: Express, readonly ip = `10.${crypto.randomInt(256)}.${crypto.randomInt(256)}.${crypto.randomInt(1, 255)}`) {
    this.agent = request.agent(app);
  }
  async init() {
    const res = await this.agent.get("/auth/csrf");
    this.xsrf = readCookie(res.headers["set-cookie"], "XSRF-TOKEN") ?? this.xsrf;
    return this;
  }
  /** Like Angular: echo the XSRF-TOKEN cookie as it is now (login and logout re-issue it). */
  private currentXsrf() {
    return this.cookie("XSRF-TOKEN") ?? this.xsrf;
  }
  post(path: string, body?: Body) {
    const req = this.agent.post(path).set("X-XSRF-TOKEN", this.currentXsrf()).set("X-Forwarded-For", this.ip);
    return body === undefined ? req : req.send(body);
  }
  delete(path: string) {
    return this.agent.delete(path).set("X-XSRF-TOKEN", this.currentXsrf()).set("X-Forwarded-For", this.ip);
  }
  get(path: string) {
    return this.agent.get(path);
  }
  cookie(name: string): string | undefined {
    return this.agent.jar.getCookie(name, { domain: "127.0.0.1", path: cookiePath(name), secure: false, script: false })?.value;
  }
}

/**
 * Every cookie of `client` copied into a new client (another browser, another IP by default, or
 * another app instance): a stolen set of cookies, or the same browser behind a load balancer.
 */
export function copyBrowser(client: Client, app: Express = client.app, ip?: string): Client {
  const copy = new Client(app, ip);
  copy.xsrf = client.xsrf;
  for (const name of ["twofa_token", "access_token", "refresh_token", "trusted_device", "device", "XSRF-TOKEN"]) {
    const value = client.cookie(name);
    if (value) copy.agent.jar.setCookie(`${name}=${value}; Path=${cookiePath(name)}`, "127.0.0.1", "/");
  }
  return copy;
}

/** The Path each cookie is set with (DESIGN §4), as a browser's jar needs it. */
export const cookiePath = (name: string) =>
  name === "twofa_token" ? "/auth/2fa" : name === "refresh_token" || name === "device" ? "/auth" : name === "trusted_device" ? "/auth/login" : "/";

export function readCookie(setCookie: string[] | string | undefined, name: string): string | undefined {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const line = list.find((c) => c.startsWith(`${name}=`));
  return line ? decodeURIComponent(line.split(";")[0].slice(name.length + 1)) : undefined;
}

export const uniqueEmail = (tag = "user") => `${tag}-${crypto.randomBytes(4).toString("hex")}@example.com`;
export const PASSWORD = "correct horse battery staple";

export async function registeredClient(env: TestEnv, email = uniqueEmail()) {
  const client = await new Client(env.app).init();
  const res = await client.post("/auth/register", { email, password: PASSWORD });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { client, email, userId: res.body.user.id as string };
}

/** Registers, sets up and enables 2FA; returns the secret (as the user's phone would hold it). */
export async function clientWith2FA(env: TestEnv, email = uniqueEmail()) {
  const { client, userId } = await registeredClient(env, email);
  const setup = await client.post("/auth/2fa/setup", {});
  if (setup.status !== 200) throw new Error(`setup failed: ${setup.status} ${JSON.stringify(setup.body)}`);
  const secret = setup.body.secret as string;
  const enable = await client.post("/auth/2fa/enable", { token: generateTotp(secret, env.clock.now()) });
  if (enable.status !== 200) throw new Error(`enable failed: ${enable.status} ${JSON.stringify(enable.body)}`);
  env.clock.advance(30); // the enabling code's step is spent; let the next tests use a fresh one
  return { client, email, userId, secret, backupCodes: enable.body.backupCodes as string[] };
}

/** Password step of a login for a 2FA account: a new client holding a twofa_token. */
export async function startLogin(env: TestEnv, email: string, ip?: string) {
  const client = await new Client(env.app, ip).init();
  const res = await client.post("/auth/login", { email, password: PASSWORD });
  if (res.status !== 200 || res.body.requires2FA !== true) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return client;
}

export const codeAt = (secret: string, env: TestEnv, offsetSteps = 0) => generateTotp(secret, env.clock.now() + offsetSteps * 30_000);

/**
 * The step-up of an account with 2FA (DESIGN §6 rule 7): the password AND a code. The code's step
 * is spent by the change, so the clock first moves to the next step: consecutive step-ups work.
 */
export function stepUp(secret: string, env: TestEnv) {
  env.clock.advance(30);
  return { password: PASSWORD, code: codeAt(secret, env) };
}

/** The user's second factors as the tables hold them (issue 13: "2FA on" = TOTP or a passkey). */
export async function twoFactorState(env: Pick<TestEnv, "db">, userId: string) {
  const row = await env.db.user.findUniqueOrThrow({
    where: { id: userId },
    select: { twoFactorLockedUntil: true, totpCredential: true, totpSetup: true, _count: { select: { passkeys: true } } },
  });
  return {
    enabled: row.totpCredential !== null || row._count.passkeys > 0,
    totp: row.totpCredential,
    setup: row.totpSetup,
    passkeys: row._count.passkeys,
    twoFactorLockedUntil: row.twoFactorLockedUntil,
  };
}

export const twoFactorOn = async (env: Pick<TestEnv, "db">, userId: string) => (await twoFactorState(env, userId)).enabled;
