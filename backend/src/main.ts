// Boot: config → database (DATABASE_URL or embedded, migrated) → Redis (optional) → listen.
// WEB_CONCURRENCY > 1: a node:cluster primary opens and migrates the database ONCE, then forks
// that many HTTP workers sharing the port; each worker connects to the database the primary
// opened (no second migration run) and to Redis, so the flood limits stay shared.
import cluster, { type Worker } from "node:cluster";
import type { Logger } from "pino";
import { createApp, createLogger } from "./app";
import { ConfigError, loadConfig, type Config } from "./config";
import { openDatabase, type OpenDatabase } from "./db/open-database";
import { createPrisma } from "./db/prisma";
import { connectRedis, type RedisLike } from "./security/redis";
import { pruneLoginChallenges } from "./two-factor/prune";

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

async function bootDatabase(config: Config, logger: Logger): Promise<OpenDatabase> {
  const database = await openDatabase(config, (m) => logger.warn(m));
  if (database.embedded) logger.info("using embedded PostgreSQL in .data/pg (set DATABASE_URL to use your own server)");
  if (database.migrations.applied.length) logger.info({ applied: database.migrations.applied }, "migrations applied");
  return database;
}

/** One HTTP server: the whole app (WEB_CONCURRENCY=1), or one cluster worker. */
async function runServer(config: Config, logger: Logger) {
  // A worker gets DATABASE_URL from the primary, which already migrated it.
  const database = cluster.isWorker ? undefined : await bootDatabase(config, logger);
  const db = createPrisma(database?.url ?? config.databaseUrl!);
  let redis: RedisLike | undefined;
  if (config.redisUrl) {
    redis = await connectRedis(config.redisUrl, logger).catch((err) => {
      logger.warn({ err: { message: err.message } }, "redis unavailable at boot: rate limits use per-instance memory");
      return undefined;
    });
  }
  const app = createApp({ config, db, logger, redis });
  const server = app.listen(config.port, config.host, () => {
    logger.info(cluster.isWorker ? `TwoFA worker ${process.pid} listening on port ${config.port}` : `TwoFA listening on http://localhost:${config.port}`);
  });

  // Expired login challenges pile up otherwise (idempotent: harmless when several workers run it).
  const pruner = setInterval(() => {
    pruneLoginChallenges(db, Date.now()).catch((err) => logger.warn({ err: { message: err.message } }, "pruning login challenges failed"));
  }, 10 * 60 * 1000).unref();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(pruner);
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    server.close();
    server.closeIdleConnections();
    await db.$disconnect().catch(() => undefined);
    await redis?.quit();
    await database?.close().catch(() => undefined);
    clearTimeout(force);
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
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
    await database.close().catch(() => undefined);
    clearTimeout(force);
    process.exit(exitCode);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
