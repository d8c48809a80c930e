// The migration runner (backend/src/db/migrate.ts) and the no-drift proof.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { REPO_ROOT } from "../src/config";
import { migrate, MigrationError, MIGRATIONS_DIR } from "../src/db/migrate";
import { TEST_DB_PREFIX, withAdmin, withDatabase } from "./test-server";

const admin = () => process.env.TWOFA_TEST_ADMIN_URL!;
let n = 0;
async function emptyDatabase(): Promise<string> {
  const name = `${TEST_DB_PREFIX}${process.env.TWOFA_TEST_RUN_ID}_mig_${process.pid}_${++n}`;
  await withAdmin(admin(), (c) => c.query(`CREATE DATABASE "${name}"`));
  return withDatabase(admin(), name);
}

async function query<T extends object>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

function tempMigrations(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "twofa-mig-"));
  for (const [name, sql] of Object.entries(files)) {
    fs.mkdirSync(path.join(dir, name));
    fs.writeFileSync(path.join(dir, name, "migration.sql"), sql);
  }
  return dir;
}

describe("migration runner", () => {
  test("a fresh database gets every migration, recorded in _prisma_migrations as Prisma does", async () => {
    const url = await emptyDatabase();
    const result = await migrate(url);
    const names = fs.readdirSync(MIGRATIONS_DIR).filter((d) => fs.existsSync(path.join(MIGRATIONS_DIR, d, "migration.sql"))).sort();
    expect(result.applied).toEqual(names);
    const rows = await query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(
      url,
      `SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows.map((r) => r.migration_name)).toEqual(names);
    for (const r of rows) {
      expect(r.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(r.finished_at).not.toBeNull();
      expect(r.applied_steps_count).toBe(1);
    }
  });

  test("a re-run is a no-op", async () => {
    const url = await emptyDatabase();
    await migrate(url);
    const again = await migrate(url);
    expect(again.applied).toEqual([]);
    expect(again.skipped.length).toBeGreaterThan(0);
  });

  test("a migration whose checksum changed after it was applied is refused", async () => {
    const url = await emptyDatabase();
    const dir = tempMigrations({ "001_a": "CREATE TABLE a (id int);" });
    await migrate(url, dir);
    fs.writeFileSync(path.join(dir, "001_a", "migration.sql"), "CREATE TABLE a (id bigint);");
    await expect(migrate(url, dir)).rejects.toThrow(/001_a was modified/);
  });

  test("a failing migration leaves nothing behind (its own transaction) and stops the run", async () => {
    const url = await emptyDatabase();
    const dir = tempMigrations({ "001_ok": "CREATE TABLE ok (id int);", "002_bad": "CREATE TABLE half (id int); SELECT no_such_function();", "003_never": "CREATE TABLE never (id int);" });
    await expect(migrate(url, dir)).rejects.toThrow(MigrationError);
    const tables = (await query<{ tablename: string }>(url, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)).map((t) => t.tablename);
    expect(tables.sort()).toEqual(["_prisma_migrations", "ok"]);
    const recorded = await query<{ migration_name: string }>(url, `SELECT migration_name FROM "_prisma_migrations"`);
    expect(recorded.map((r) => r.migration_name)).toEqual(["001_ok"]);
  });

  test("two runners at once (two instances booting): each migration applied exactly once", async () => {
    const url = await emptyDatabase();
    const [a, b] = await Promise.all([migrate(url), migrate(url)]);
    expect([...a.applied, ...b.applied].sort()).toEqual([...a.applied, ...a.skipped].sort());
    const rows = await query<{ count: string }>(url, `SELECT count(*) FROM "_prisma_migrations"`);
    expect(Number(rows[0].count)).toBe(a.applied.length + a.skipped.length);
  });
});

// Catalog snapshot of the public schema: enough to see any difference Prisma would care about.
async function snapshot(url: string) {
  const columns = await query(url, `SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default, character_maximum_length, datetime_precision
    FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY table_name, column_name`);
  const constraints = await query(url, `SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> '_prisma_migrations' ORDER BY 1, 2`);
  const indexes = await query(url, `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY indexname`);
  const enums = await query(url, `SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname ORDER BY t.typname`);
  return { columns, constraints, indexes, enums };
}

test("no drift: the migrations give exactly the schema that schema.prisma describes", async () => {
  // Prisma's engine cannot diff a live database through the driver adapter here, so: database A
  // gets our migrations; database B gets the SQL Prisma derives from schema.prisma right now;
  // their catalogs must be identical.
  const migrated = await emptyDatabase();
  await migrate(migrated);
  const fromSchema = await emptyDatabase();
  const sql = execFileSync(
    process.execPath,
    [require.resolve("prisma/build/index.js"), "migrate", "diff", "--config", path.join(REPO_ROOT, "prisma/prisma.config.ts"), "--from-empty", "--to-schema-datamodel", path.join(REPO_ROOT, "prisma/schema.prisma"), "--script"],
    { env: { ...process.env, DATABASE_URL: fromSchema, PRISMA_HIDE_UPDATE_MESSAGE: "1" }, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
  );
  expect(sql).toContain('CREATE TABLE "User"');
  await query(fromSchema, sql);
  expect(await snapshot(migrated)).toEqual(await snapshot(fromSchema));
}, 60_000);
