import path from "node:path";
import { Config, DATA_DIR } from "../config";
import { startEmbeddedPostgres } from "./embedded";
import { resolveEmbeddedPort, type EmbeddedPort } from "./embedded-port";
import { migrate, MigrationError, MigrationResult } from "./migrate";

export interface OpenDatabase {
  url: string;
  embedded: boolean;
  /** embedded and run by another live process (the app): close() leaves it running */
  joined?: { ownerPid: number; port: number };
  /** embedded: the pid of a server a dead process had left running, stopped before this start */
  stoppedOrphan?: number;
  /** embedded: its port and where it came from (EMBEDDED_PG_PORT, remembered in .data/pg.port, or picked now) */
  port?: EmbeddedPort;
  migrations: MigrationResult;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /**
   * "app" owns the embedded server and refuses a folder another live process runs; "cli" joins
   * the server of a running app (and owns one only while no app runs).
   */
  role?: "app" | "cli";
}

export const embeddedDataDir = (config: Config) => config.embeddedPgDir ?? path.join(DATA_DIR, "pg");

/** DATABASE_URL when set, else embedded PostgreSQL in .data/pg; then apply pending migrations. */
export async function openDatabase(config: Config, log: (m: string) => void = () => {}, options: OpenDatabaseOptions = {}): Promise<OpenDatabase> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, embedded: false, migrations: await migrateOrExplain(config.databaseUrl, "DATABASE_URL"), close: async () => {} };
  }
  const role = options.role ?? "app";
  const dataDir = embeddedDataDir(config);
  const port = await resolveEmbeddedPort(dataDir, config.embeddedPgPort, log);
  const embedded = await startEmbeddedPostgres(dataDir, port.port, { log, join: role === "cli", role });
  try {
    const url = await embedded.ensureDatabase("twofa");
    return {
      url,
      embedded: true,
      joined: embedded.owned ? undefined : { ownerPid: embedded.ownerPid!, port: embedded.port },
      stoppedOrphan: embedded.stoppedOrphan,
      port: embedded.owned ? port : { ...port, port: embedded.port },
      migrations: await migrateOrExplain(url, `the embedded PostgreSQL on port ${embedded.port}`),
      close: () => embedded.stop(),
    };
  } catch (err) {
    await embedded.stop();
    throw err;
  }
}

/** Connection failures name the server (never its password): "cannot reach DATABASE_URL (host:port): ..." */
async function migrateOrExplain(url: string, what: string): Promise<MigrationResult> {
  try {
    return await migrate(url);
  } catch (err) {
    if (err instanceof MigrationError) throw err;
    let where = "";
    try {
      const u = new URL(url);
      where = ` (${u.hostname}:${u.port || 5432}/${u.pathname.slice(1)})`;
    } catch {
      // not a URL: name nothing
    }
    throw new Error(`cannot use ${what}${where}`, { cause: err });
  }
}
