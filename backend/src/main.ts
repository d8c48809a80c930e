// Boot: config → database (DATABASE_URL or embedded, migrated) → Redis (optional) → listen.
import { createApp, createLogger } from "./app";
import { ConfigError, loadConfig } from "./config";
import { openDatabase } from "./db/open-database";
import { createPrisma } from "./db/prisma";
import { connectRedis, type RedisLike } from "./security/redis";

async function main() {
  let config;
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
  const database = await openDatabase(config, (m) => logger.warn(m));
  if (database.embedded) logger.info("using embedded PostgreSQL in .data/pg (set DATABASE_URL to use your own server)");
  if (database.migrations.applied.length) logger.info({ applied: database.migrations.applied }, "migrations applied");
  const db = createPrisma(database.url);
  let redis: RedisLike | undefined;
  if (config.redisUrl) {
    redis = await connectRedis(config.redisUrl, logger).catch((err) => {
      logger.warn({ err: { message: err.message } }, "redis unavailable at boot: rate limits use per-instance memory");
      return undefined;
    });
  }
  const app = createApp({ config, db, logger, redis });
  const server = app.listen(config.port, config.host, () => {
    logger.info(`TwoFA listening on http://localhost:${config.port}`);
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    server.close();
    server.closeIdleConnections();
    await db.$disconnect().catch(() => undefined);
    await redis?.quit();
    await database.close().catch(() => undefined);
    clearTimeout(force);
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
