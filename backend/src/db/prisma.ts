import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";

export type Db = PrismaClient;

/**
 * Prisma through the pg driver adapter (no Rust engine). connectionTimeoutMillis keeps a request
 * from hanging when PostgreSQL is down: it fails fast and the error middleware answers 503.
 */
export function createPrisma(databaseUrl: string, options: { max?: number } = {}): Db {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000,
  });
  return new PrismaClient({ adapter });
}
