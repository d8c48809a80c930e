// Where test databases live: DATABASE_URL's server (the harness creates and drops only its
// own databases there), else an embedded PostgreSQL in .data/pg-test.
import path from "node:path";
import { Client } from "pg";
import { DATA_DIR } from "../src/config";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "../src/db/embedded";
import { findFreePort } from "../src/db/embedded-port";

export const TEST_DB_PREFIX = "twofa_test_";

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function startTestServer(): Promise<{ adminUrl: string; embedded?: EmbeddedDatabase }> {
  if (process.env.DATABASE_URL) return { adminUrl: process.env.DATABASE_URL };
  // a free port each run (the folder is the tests' own): two checkouts never clash
  const embedded = await startEmbeddedPostgres(path.join(DATA_DIR, "pg-test"), Number(process.env.TWOFA_TEST_PG_PORT) || (await findFreePort(54330)));
  return { adminUrl: embedded.url("postgres"), embedded };
}

export async function withAdmin<T>(adminUrl: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Drops this run's databases, and those of earlier runs whose process is gone. */
export async function dropTestDatabases(adminUrl: string, runId?: string) {
  await withAdmin(adminUrl, async (c) => {
    const { rows } = await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${TEST_DB_PREFIX}%`]);
    for (const { datname } of rows) {
      const pid = Number(datname.slice(TEST_DB_PREFIX.length).split("_")[0]);
      const ours = runId !== undefined && datname.startsWith(`${TEST_DB_PREFIX}${runId}_`);
      if (ours || (Number.isFinite(pid) && !pidAlive(pid))) {
        await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    }
  });
}
