import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";
import pg from "pg";
import { DATABASE_POOL_DEFAULTS } from "../config";

export type Db = PrismaClient;

export interface DatabasePoolOptions {
  /** connections in the pool */
  max?: number;
  /** wait for a connection (pool full or server down) before failing: the request answers 503 */
  connectionTimeoutMs?: number;
  /** PostgreSQL statement_timeout for every connection of the pool; 0 = none */
  statementTimeoutMs?: number;
}

/**
 * Prisma through the pg driver adapter (no Rust engine). The values and the reasons for them
 * are in config.ts (DATABASE_POOL_DEFAULTS); a request never hangs on the database: it waits
 * at most connectionTimeoutMs for a connection and statementTimeoutMs for a statement, and the
 * error middleware turns either failure into a 503.
 */
export function createPrisma(databaseUrl: string, options: DatabasePoolOptions = {}): Db {
  const { max, connectionTimeoutMs, statementTimeoutMs } = { ...DATABASE_POOL_DEFAULTS, ...options };
  // One pg pool, made here so that the few hot-path statements (db/hot-sql.ts) run on the very
  // same connections as Prisma: one pool size, one statement_timeout, one place that ends it.
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    connectionTimeoutMillis: connectionTimeoutMs,
    idleTimeoutMillis: 30_000,
    // Sent in the startup packet: the server enforces it per connection (SQLSTATE 57014 when hit).
    ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
  });
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  POOLS.set(client, pool);
  return client;
}

const POOLS = new WeakMap<Db, pg.Pool>();

/** The pg pool under a client made by createPrisma (for db/hot-sql.ts only). */
export function poolOf(db: Db): pg.Pool {
  const pool = POOLS.get(db);
  if (!pool) throw new Error("poolOf: this Prisma client was not made by createPrisma");
  return pool;
}
