// Boot: config → database (DATABASE_URL or embedded, migrated) → Redis (optional) → listen.
// WEB_CONCURRENCY > 1: a node:cluster primary opens and migrates the database ONCE, then forks
// that many HTTP workers sharing the port; each worker connects to the database the primary
// opened (no second migration run) and to Redis, so the flood limits stay shared.
import cluster, { type Worker } from "node:cluster";
import path from "node:path";
import type { Logger } from "pino";
import { createApp, createLogger } from "./app";
import { describeError } from "./cli/errors";
import { ConfigError, loadConfig, REPO_ROOT, type Config } from "./config";
import { embeddedDataDir, openDatabase, type OpenDatabase } from "./db/open-database";
import { createPrisma } from "./db/prisma";
import { createMailer } from "./mail/mailer";
import { createMailWorker } from "./mail/worker";
import { systemClock } from "./auth/clock";
import { createSecretBox } from "./security/encryption";
import { connectRedis, type RedisLike } from "./security/redis";
import { pruneLoginChallenges } from "./two-factor/prune";
import { prunePasswordResetTokens } from "./account/password-reset";
import { pruneDeviceCookies } from "./security/device-cookie";
import { pruneLoginBudgets } from "./security/login-budget";

async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config);
  if (cluster.isPrimary && config.webConcurrency > 1) return runPrimary(config, logger);
  return runServer(config, logger);
}

/** Signals that end the app gracefully (SIGHUP: the terminal closed; PostgreSQL would only reload). */
const STOP_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;
/** A worker that cannot listen exits with this; the primary then stops instead of restarting it. */
const EXIT_LISTEN_FAILED = 78;

/** Fatal boot problems are printed even with LOG_LEVEL=silent. */
function fatal(logger: Logger, message: string) {
  if (logger.isLevelEnabled("fatal")) logger.fatal(message);
  else console.error(message);
}

function listenFailure(err: NodeJS.ErrnoException, config: Config): string {
  if (err.code === "EADDRINUSE") return `port ${config.port} is already in use (another program listens on it): stop it or set PORT`;
  if (err.code === "EACCES") return `no permission to listen on port ${config.port}: choose a port above 1023 with PORT`;
  if (err.code === "EADDRNOTAVAIL") return `cannot listen on ${config.host}:${config.port}: no such address on this machine (HOST)`;
  return `cannot listen on ${config.host}:${config.port}: ${describeError(err)}`;
}

async function bootDatabase(config: Config, logger: Logger): Promise<OpenDatabase> {
  const database = await openDatabase(config, (m) => logger.warn(m), { role: "app" });
  if (database.embedded) {
    const port = database.port;
    const where = port ? ` on port ${port.port}${port.source === "picked" ? `, a free port picked now and remembered in ${path.relative(REPO_ROOT, port.file)}` : ""}` : "";
    logger.info(`using embedded PostgreSQL in ${path.relative(REPO_ROOT, embeddedDataDir(config))}${where} (set DATABASE_URL to use your own server)`);
  }
  if (database.migrations.applied.length) logger.info({ applied: database.migrations.applied }, "migrations applied");
  return database;
}

/** One HTTP server: the whole app (WEB_CONCURRENCY=1), or one cluster worker. */
async function runServer(config: Config, logger: Logger) {
  // A worker gets DATABASE_URL from the primary, which already migrated it.
  const database = cluster.isWorker ? undefined : await bootDatabase(config, logger);
  const db = createPrisma(database?.url ?? config.databaseUrl!, config.database);
  let redis: RedisLike | undefined;
  if (config.redisUrl) {
    redis = await connectRedis(config.redisUrl, logger).catch((err) => {
      logger.warn({ err: { message: err.message } }, "redis unavailable at boot: rate limits use per-instance memory");
      return undefined;
    });
  }
  const app = createApp({ config, db, logger, redis });
  // Express 5 hands a listen error (port taken, ...) to this callback: never report it as listening.
  const server = app.listen(config.port, config.host, (err?: Error) => {
    if (err) {
      fatal(logger, listenFailure(err, config));
      void shutdown("listen failed", cluster.isWorker ? EXIT_LISTEN_FAILED : 1);
      return;
    }
    logger.info(cluster.isWorker ? `TwoFA worker ${process.pid} listening on port ${config.port}` : `TwoFA listening on http://localhost:${config.port}`);
  });

  // Security emails: the worker sends what the outbox holds (every instance runs one; claims
  // never overlap). Without SMTP_URL each message is written to .data/mail as an .eml file.
  const mailer = createMailer(config, logger);
  const mailWorker = createMailWorker({
    db,
    mailer,
    clock: systemClock,
    logger,
    secretBox: createSecretBox(config.encryptionKeys),
    appUrl: config.appUrl,
    pollIntervalMs: config.mail.pollIntervalMs,
  });
  mailWorker.start();
  if (!cluster.isWorker) logger.info(`mail: ${mailer.description}`);

  // Expired login challenges, reset links, ended login-budget windows and device cookies pile up otherwise (idempotent: harmless when several workers run it).
  const pruner = setInterval(() => {
    pruneLoginChallenges(db, Date.now()).catch((err) => logger.warn({ err: { message: err.message } }, "pruning login challenges failed"));
    prunePasswordResetTokens({ db }, Date.now()).catch((err) => logger.warn({ err: { message: err.message } }, "pruning password reset links failed"));
    pruneLoginBudgets(db, Date.now(), config.rateLimit.windowMs).catch((err) => logger.warn({ err: { message: err.message } }, "pruning login budgets failed"));
    pruneDeviceCookies(db, Date.now()).catch((err) => logger.warn({ err: { message: err.message } }, "pruning device cookies failed"));
  }, 10 * 60 * 1000).unref();

  let stopping = false;
  async function shutdown(signal: string, exitCode = 0) {
    if (stopping) return;
    stopping = true;
    clearInterval(pruner);
    await mailWorker.stop().catch(() => undefined);
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(exitCode || 1), 10_000).unref();
    if (server.listening) {
      server.close();
      server.closeIdleConnections();
    }
    await db.$disconnect().catch(() => undefined);
    await redis?.quit().catch(() => undefined);
    // stops the embedded PostgreSQL this process started (and waits for it)
    await database?.close().catch((err) => logger.error(`stopping the embedded PostgreSQL failed: ${describeError(err)}`));
    clearTimeout(force);
    process.exit(exitCode);
  }
  for (const signal of STOP_SIGNALS) process.on(signal, () => void shutdown(signal));
  // The primary went away (crash, kill -9): a worker must not live on as an orphan.
  if (cluster.isWorker) process.on("disconnect", () => void shutdown("primary disconnected"));
}

const RESTART_LIMIT = 10; // worker deaths per minute before the primary gives up

/** Primary: database once, then WEB_CONCURRENCY workers; restarts a worker that dies. */
async function runPrimary(config: Config, logger: Logger) {
  const database = await bootDatabase(config, logger);
  const workerEnv = { DATABASE_URL: database.url };
  let stopping = false;
  const deaths: number[] = [];

  const fork = () => cluster.fork(workerEnv);
  cluster.on("exit", (worker: Worker, code: number | null, signal: string | null) => {
    if (stopping) return;
    if (code === EXIT_LISTEN_FAILED) {
      // the worker logged why (port in use, ...): restarting it would only fail again
      void shutdown("worker could not listen", 1);
      return;
    }
    logger.error({ workerPid: worker.process.pid, code, signal }, "worker died; starting a new one");
    const now = Date.now();
    deaths.push(now);
    while (deaths.length && deaths[0] < now - 60_000) deaths.shift();
    if (deaths.length > RESTART_LIMIT) {
      logger.fatal(`${deaths.length} worker deaths within a minute: giving up`);
      void shutdown("crash loop", 1);
      return;
    }
    setTimeout(() => !stopping && fork(), 500).unref();
  });
  logger.info({ workers: config.webConcurrency }, `TwoFA primary ${process.pid} forking workers on port ${config.port}`);
  for (let i = 0; i < config.webConcurrency; i++) fork();

  const shutdown = async (signal: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "primary shutting down");
    const force = setTimeout(() => process.exit(1), 15_000).unref();
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.once("exit", () => resolve());
            w.process.kill("SIGTERM");
          }),
      ),
    );
    await database.close().catch((err) => logger.error(`stopping the embedded PostgreSQL failed: ${describeError(err)}`));
    clearTimeout(force);
    process.exit(exitCode);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, () => void shutdown(signal));
}

main().catch((err) => {
  // exit runs the embedded database's exit hook: a server this process started is stopped
  console.error(`TwoFA could not start: ${describeError(err)}`);
  process.exit(1);
});
