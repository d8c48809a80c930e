// Applies prisma/migrations/<name>/migration.sql in order and records them in
// _prisma_migrations exactly as `prisma migrate deploy` does (same table, sha256 checksum,
// same advisory lock key), so Prisma's own tooling stays usable wherever its engine exists.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Client } from "pg";
import { REPO_ROOT } from "../config";

export const MIGRATIONS_DIR = path.join(REPO_ROOT, "prisma/migrations");
/** The key `prisma migrate` itself takes, so our runner and Prisma's exclude each other. */
const PRISMA_ADVISORY_LOCK = 72707369;

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

export class MigrationError extends Error {}

interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

function readMigrations(dir: string): MigrationFile[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: crypto.createHash("sha256").update(sql).digest("hex") };
    });
}

/** The names of the migrations in `dir`, in the order they apply. */
export function migrationNames(dir = MIGRATIONS_DIR): string[] {
  return readMigrations(dir).map((m) => m.name);
}

/** Those of `expected` that the database has not applied (all of them before the first run). */
export async function pendingMigrations(db: { $queryRawUnsafe<T>(sql: string): Promise<T> }, expected: string[]): Promise<string[]> {
  const [{ exists }] = await db.$queryRawUnsafe<{ exists: boolean }[]>(`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS exists`);
  if (!exists) return expected;
  const rows = await db.$queryRawUnsafe<{ name: string }[]>(`SELECT migration_name AS name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`);
  const done = new Set(rows.map((r) => r.name));
  return expected.filter((name) => !done.has(name));
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export interface MigrateOptions {
  /** apply only the migrations named before this one (tests that need a database as it was) */
  stopBefore?: string;
}

export async function migrate(databaseUrl: string, dir = MIGRATIONS_DIR, options: MigrateOptions = {}): Promise<MigrationResult> {
  const all = readMigrations(dir);
  const stop = options.stopBefore;
  if (stop !== undefined && !all.some((f) => f.name === stop)) throw new MigrationError(`No migration named ${stop}`);
  const files = stop === undefined ? all : all.filter((f) => f.name < stop);
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const result: MigrationResult = { applied: [], skipped: [] };
  try {
    // Two instances booting at once: the second waits here, then finds everything applied.
    await client.query("SELECT pg_advisory_lock($1)", [PRISMA_ADVISORY_LOCK]);
    await client.query(CREATE_TABLE);
    const { rows } = await client.query<{ migration_name: string; checksum: string }>(
      `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const done = new Map(rows.map((r) => [r.migration_name, r.checksum]));
    for (const file of files) {
      const recorded = done.get(file.name);
      if (recorded !== undefined) {
        if (recorded !== file.checksum) {
          throw new MigrationError(`Migration ${file.name} was modified after it was applied (checksum mismatch); write a new migration instead`);
        }
        result.skipped.push(file.name);
        continue;
      }
      // Each migration and its record commit together or not at all.
      await client.query("BEGIN");
      try {
        await client.query(file.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), now(), 1)`,
          [crypto.randomUUID(), file.checksum, file.name],
        );
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK");
        throw new MigrationError(`Migration ${file.name} failed: ${(err as Error).message}`);
      }
      result.applied.push(file.name);
    }
    return result;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [PRISMA_ADVISORY_LOCK]).catch(() => undefined);
    await client.end();
  }
}
