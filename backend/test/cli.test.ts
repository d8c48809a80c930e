// The app's start-up/shutdown and the admin CLIs as real processes (node --import tsx):
// the embedded PostgreSQL shared between `npm start` and `db:migrate` / `user:create`, an
// orphan left by kill -9, a taken port, and what user:create does to an existing account.
// Embedded tests use their own data folder (.data/cli-test-<pid>/pg) and port (54361); the
// user:create tests use a database of their own on DATABASE_URL's server (the harness's).
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { Client as PgClient } from "pg";
import { verifyPassword } from "../src/auth/password";
import { describeError } from "../src/cli/errors";
import { DATA_DIR } from "../src/config";
import { ownerFilePath, processInfo, readPostmasterPid, stopPostmaster } from "../src/db/embedded";
import { createTestDatabase, TEST_ENV, uniqueEmail } from "./harness";

const BACKEND = path.resolve(__dirname, "..");
const RUN_DIR = path.join(DATA_DIR, `cli-test-${process.pid}`);
const PG_DIR = path.join(RUN_DIR, "pg");
const PG_PORT = 54361;
const MAIN = "src/main.ts";
const MIGRATE = "src/db/migrate-cli.ts";
const USER_CREATE = "src/auth/create-user-cli.ts";

const children = new Set<ChildProcess>();

// One timeout for the file (jest.setTimeout is per file, the last call wins): these start real
// servers; every wait inside has its own, shorter deadline.
jest.setTimeout(120_000);

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...TEST_ENV, LOG_LEVEL: "info", HOST: "127.0.0.1", EMBEDDED_PG_DIR: PG_DIR, EMBEDDED_PG_PORT: String(PG_PORT) };
  for (const name of ["DATABASE_URL", "REDIS_URL", "WEB_CONCURRENCY", "PORT"]) delete env[name];
  return { ...env, ...extra };
}

/** A TypeScript entry point as its own Node process (no tsx wrapper process: its pid is Node's). */
class Proc {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  readonly done: Promise<Finished>;
  constructor(script: string, args: string[], env: NodeJS.ProcessEnv, stdin?: string) {
    this.child = spawn(process.execPath, ["--import", "tsx", script, ...args], { cwd: BACKEND, env, stdio: ["pipe", "pipe", "pipe"] });
    children.add(this.child);
    this.child.stdout!.on("data", (d) => (this.stdout += d));
    this.child.stderr!.on("data", (d) => (this.stderr += d));
    this.child.stdin!.end(stdin ?? "");
    this.done = new Promise((resolve) => {
      this.child.on("close", (code, signal) => {
        children.delete(this.child);
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }
  get output() {
    return this.stdout + this.stderr;
  }
  /** Waits for the process to end; kills it and fails past the deadline. */
  async finished(ms = 60_000): Promise<Finished> {
    const result = await Promise.race([this.done, delay(ms, undefined, { ref: false })]);
    if (result) return result;
    this.child.kill("SIGKILL");
    throw new Error(`still running after ${ms} ms; output:\n${this.output}`);
  }
}

const run = (script: string, args: string[], env: NodeJS.ProcessEnv, stdin?: string, ms = 60_000) => new Proc(script, args, env, stdin).finished(ms);

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function occupy(port: number): Promise<net.Server> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
  return server;
}

async function waitFor(what: string, ms: number, check: () => boolean | Promise<boolean>) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(100);
  }
}

async function healthStatus(port: number): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) })).status;
  } catch {
    return 0;
  }
}

/** Starts the app on the embedded database and waits for /healthz 200. */
async function startApp(port: number): Promise<Proc> {
  const app = new Proc(MAIN, [], childEnv({ PORT: String(port) }));
  let exited: Finished | undefined;
  void app.done.then((f) => (exited = f));
  await waitFor("/healthz to answer 200", 90_000, async () => {
    if (exited) throw new Error(`the app exited (${exited.code}) before answering:\n${app.output}`);
    return (await healthStatus(port)) === 200;
  });
  return app;
}

const postmasterAlive = (pid: number) => processInfo(pid).alive;
const serverOfFolder = () => readPostmasterPid(PG_DIR);

/** After each test, even a failed one: no process of ours and no server on the folder is left. */
async function cleanUp() {
  for (const child of children) child.kill("SIGKILL");
  await waitFor("the test's processes to end", 10_000, () => children.size === 0);
  const server = serverOfFolder();
  if (server && postmasterAlive(server.pid)) await stopPostmaster(server.pid);
}

describe("embedded PostgreSQL: the app, the CLIs, crashes and a taken port (real processes)", () => {
  afterEach(cleanUp);
  afterAll(() => {
    fs.rmSync(RUN_DIR, { recursive: true, force: true });
    fs.rmSync(ownerFilePath(PG_DIR), { force: true });
  });

  test("db:migrate and user:create join the running app's embedded server, which stays up; a second app is refused", async () => {
    const port = await freePort();
    const app = await startApp(port);
    const server = serverOfFolder()!;
    expect(server.port).toBe(PG_PORT);

    const migrate = await run(MIGRATE, [], childEnv());
    expect(migrate.stderr).not.toMatch(/undefined/);
    expect(migrate).toMatchObject({ code: 0 });
    expect(migrate.stdout).toContain("database is up to date");
    expect(migrate.stderr).toContain(`running app (process ${app.child.pid}, port ${PG_PORT})`);

    const email = uniqueEmail("admin");
    const create = await run(USER_CREATE, ["--admin", email], childEnv());
    expect(create.stderr).not.toMatch(/undefined/);
    expect(create).toMatchObject({ code: 0 });
    expect(create.stdout).toMatch(new RegExp(`^created ADMIN ${email} `, "m"));

    // the CLIs left the app's server running
    expect(await healthStatus(port)).toBe(200);
    expect(serverOfFolder()?.pid).toBe(server.pid);

    const second = await run(MAIN, [], childEnv({ PORT: String(await freePort()) }));
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`already in use by process ${app.child.pid} (the running TwoFA app)`);
    expect(serverOfFolder()?.pid).toBe(server.pid);

    app.child.kill("SIGTERM");
    expect((await app.finished(30_000)).code).toBe(0);
    expect(postmasterAlive(server.pid)).toBe(false);
    expect(serverOfFolder()).toBeUndefined();
    expect(fs.existsSync(ownerFilePath(PG_DIR))).toBe(false);
  });

  test("after kill -9 the orphaned server is stopped by the next start (app or CLI), which then works", async () => {
    const port = await freePort();
    const app = await startApp(port);
    const orphan = serverOfFolder()!.pid;
    app.child.kill("SIGKILL");
    await app.finished(10_000);
    // the trap: Node cannot catch SIGKILL, so its PostgreSQL lives on without it
    expect(postmasterAlive(orphan)).toBe(true);

    const next = await startApp(port);
    expect(next.output).toContain(`stopping the embedded PostgreSQL (pid ${orphan}, port ${PG_PORT}) that an earlier run left behind`);
    expect(postmasterAlive(orphan)).toBe(false);
    const second = serverOfFolder()!.pid;
    expect(second).not.toBe(orphan);

    // the same from a CLI: it stops the orphan, uses its own server, and stops that too
    next.child.kill("SIGKILL");
    await next.finished(10_000);
    expect(postmasterAlive(second)).toBe(true);
    const migrate = await run(MIGRATE, [], childEnv());
    expect(migrate).toMatchObject({ code: 0 });
    expect(migrate.stdout).toContain("database is up to date");
    expect(migrate.stderr).toContain(`stopping the embedded PostgreSQL (pid ${second}`);
    expect(postmasterAlive(second)).toBe(false);
    expect(serverOfFolder()).toBeUndefined();
  });

  test("port already in use: the app exits 1 saying so and stops the embedded server it started", async () => {
    const port = await freePort();
    const blocker = await occupy(port);
    try {
      const app = new Proc(MAIN, [], childEnv({ PORT: String(port) }));
      const result = await app.finished(90_000);
      expect(result.code).toBe(1);
      expect(app.output).toContain(`port ${port} is already in use`);
      expect(app.output).not.toContain("listening on");
      expect(app.output).toContain("using embedded PostgreSQL"); // it had started one...
      expect(serverOfFolder()).toBeUndefined(); // ...and stopped it
    } finally {
      blocker.close();
    }
  });

  test("a CLI whose embedded port is taken by another program says so (never `undefined`)", async () => {
    const blocker = await occupy(PG_PORT);
    try {
      const migrate = await run(MIGRATE, [], childEnv());
      expect(migrate.code).toBe(1);
      expect(migrate.stderr).toContain(`port ${PG_PORT} is already in use`);
      expect(migrate.stderr).not.toMatch(/undefined/);
      expect(serverOfFolder()).toBeUndefined();
    } finally {
      blocker.close();
    }
  });

  test("a process that owns the server stops it however it ends: unhandled signal, uncaught error", async () => {
    const script = (then: string) =>
      `require("./src/db/embedded").startEmbeddedPostgres(${JSON.stringify(PG_DIR)}, ${PG_PORT}, { role: "test" })` +
      `.then((db) => { console.log("ready " + db.pid); ${then} });`;
    for (const [name, then, expected] of [
      ["SIGTERM with no handler of its own", "setInterval(() => {}, 1000); process.kill(process.pid, 'SIGTERM');", { code: 143 }],
      ["an uncaught error", "throw new Error('crash after start');", { code: 1 }],
    ] as const) {
      const { code, stdout } = await new Proc("-e", [script(then)], childEnv()).finished(60_000);
      const pid = Number(/ready (\d+)/.exec(stdout)?.[1]);
      expect({ name, pid: Number.isInteger(pid), code }).toEqual({ name, pid: true, code: expected.code });
      await waitFor(`PostgreSQL ${pid} to stop after ${name}`, 20_000, () => !postmasterAlive(pid));
      await waitFor("postmaster.pid to go", 5_000, () => serverOfFolder() === undefined);
    }
  });
});

describe("user:create on DATABASE_URL (real processes)", () => {
  let url: string;
  let pg: PgClient;
  beforeAll(async () => {
    url = await createTestDatabase();
    pg = new PgClient({ connectionString: url });
    await pg.connect();
  });
  afterAll(async () => {
    await pg?.end();
  });

  const env = () => childEnv({ DATABASE_URL: url });
  const row = async (email: string) =>
    (await pg.query<{ passwordHash: string; tokenVersion: number; role: string }>(`SELECT "passwordHash", "tokenVersion", role FROM "User" WHERE email = $1`, [email])).rows[0];
  const generated = (stdout: string) => [...stdout.matchAll(/^Password \(shown once\): (\S+)$/gm)].map((m) => m[1]);

  test("a new email is created; the generated password is printed once and works", async () => {
    const email = uniqueEmail("new");
    const res = await run(USER_CREATE, [email.toUpperCase()], env());
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^created USER ${email} \\(`, "m"));
    const passwords = generated(res.stdout);
    expect(passwords).toHaveLength(1);
    expect(await verifyPassword((await row(email)).passwordHash, passwords[0])).toBe(true);
  });

  test("an existing email: 'already exists', nothing changes and no password is printed", async () => {
    const email = uniqueEmail("again");
    const first = await run(USER_CREATE, [email], env());
    const before = await row(email);
    const again = await run(USER_CREATE, [email], env());
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^already exists: USER ${email} `, "m"));
    expect(again.stdout).toContain("password not changed (add --reset-password to set a new one)");
    expect(generated(again.stdout)).toEqual([]);
    expect(await row(email)).toEqual(before);
    expect(await verifyPassword(before.passwordHash, generated(first.stdout)[0])).toBe(true);

    // --password-stdin without --reset-password does not touch it either
    const stdin = await run(USER_CREATE, [email, "--password-stdin"], env(), "another long passphrase 42\n");
    expect(stdin.code).toBe(0);
    expect(stdin.stdout).toContain("already exists");
    expect(await row(email)).toEqual(before);
  });

  test("--reset-password sets a new password (printed once), bumps tokenVersion, ends every session and remembered device", async () => {
    const email = uniqueEmail("reset");
    await run(USER_CREATE, [email], env());
    const before = await row(email);
    const { id: userId } = (await pg.query<{ id: string }>(`SELECT id FROM "User" WHERE email = $1`, [email])).rows[0];
    await pg.query(
      `INSERT INTO "Session" (id, "userId", "expiresAt", "authMethod", "authTime") VALUES ($1, $2, now() + interval '1 day', 'password', now())`,
      [`s-${userId}`, userId],
    );
    await pg.query(`INSERT INTO "TrustedDevice" (id, "userId", "secretHash", "expiresAt") VALUES ($1, $2, 'x', now() + interval '1 day')`, [`d-${userId}`, userId]);

    const res = await run(USER_CREATE, [email, "--reset-password"], env());
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("already exists");
    expect(res.stdout).toContain("password reset; every session and remembered device of this account has ended");
    const [password] = generated(res.stdout);
    const after = await row(email);
    expect(after.tokenVersion).toBe(before.tokenVersion + 1);
    expect(await verifyPassword(after.passwordHash, password)).toBe(true);
    const sessions = await pg.query(`SELECT "revokedReason" FROM "Session" WHERE "userId" = $1`, [userId]);
    expect(sessions.rows).toEqual([{ revokedReason: "password_reset" }]);
    expect((await pg.query(`SELECT 1 FROM "TrustedDevice" WHERE "userId" = $1`, [userId])).rowCount).toBe(0);

    const chosen = "my own long admin passphrase 7";
    const fromStdin = await run(USER_CREATE, [email, "--reset-password", "--password-stdin"], env(), `${chosen}\n`);
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).not.toContain(chosen);
    expect(generated(fromStdin.stdout)).toEqual([]);
    expect(await verifyPassword((await row(email)).passwordHash, chosen)).toBe(true);
    expect((await row(email)).tokenVersion).toBe(before.tokenVersion + 2);
  });

  test("--admin on an existing USER makes it ADMIN without touching its password", async () => {
    const email = uniqueEmail("promote");
    await run(USER_CREATE, [email], env());
    const before = await row(email);
    const res = await run(USER_CREATE, ["--admin", email], env());
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`already exists: ADMIN ${email}`);
    expect(res.stdout).toContain("role changed to ADMIN");
    expect(res.stdout).toContain("password not changed");
    expect(await row(email)).toEqual({ ...before, role: "ADMIN" });
  });

  test("bad input is refused before anything is written (exit 2); --password-stdin follows the registration password rule", async () => {
    const email = uniqueEmail("bad");
    const typo = await run(USER_CREATE, [email, "--reset"], env());
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown option --reset");
    for (const [password, message] of [
      ["short", "Password must be at least 12 characters"],
      ["password1234", "Password is too easy to guess"],
      [`${email.split("@")[0]}-horse-battery`, "Password must not contain your email address"],
    ]) {
      const res = await run(USER_CREATE, [email, "--password-stdin"], env(), `${password}\n`);
      expect({ password, code: res.code, said: res.stderr.includes(message) }).toEqual({ password, code: 2, said: true });
    }
    expect(await row(email)).toBeUndefined();
  });

  test("an unreachable database gives a message naming it (never `undefined`)", async () => {
    const res = await run(USER_CREATE, [uniqueEmail()], childEnv({ DATABASE_URL: "postgresql://postgres@127.0.0.1:1/nowhere" }));
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: cannot use DATABASE_URL \(127\.0\.0\.1:1\/nowhere\): connect ECONNREFUSED 127\.0\.0\.1:1$/m);
  });
});

describe("describeError", () => {
  test("always a readable line", () => {
    expect(describeError(undefined)).toBe("unknown error (the failing step reported no details)");
    expect(describeError(new AggregateError([new Error("connect ECONNREFUSED ::1:1"), new Error("connect ECONNREFUSED 127.0.0.1:1")], ""))).toBe(
      "connect ECONNREFUSED ::1:1; connect ECONNREFUSED 127.0.0.1:1",
    );
    expect(describeError(new Error("cannot use X", { cause: new Error("boom") }))).toBe("cannot use X: boom");
    expect(describeError(Object.assign(new Error(""), { code: "ECONNRESET" }))).toBe("ECONNRESET");
    expect(describeError({ message: "plain object" })).toBe("plain object");
  });
});
