import path from "node:path";
import { Config, DATA_DIR } from "../config";
import { startEmbeddedPostgres } from "./embedded";
import { migrate, MigrationResult } from "./migrate";

export interface OpenDatabase {
  url: string;
  embedded: boolean;
  migrations: MigrationResult;
  close(): Promise<void>;
}

/** DATABASE_URL when set, else embedded PostgreSQL in .data/pg; then apply pending migrations. */
export async function openDatabase(config: Config, log: (m: string) => void = () => {}): Promise<OpenDatabase> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, embedded: false, migrations: await migrate(config.databaseUrl), close: async () => {} };
  }
  const embedded = await startEmbeddedPostgres(path.join(DATA_DIR, "pg"), config.embeddedPgPort, log);
  try {
    const url = await embedded.ensureDatabase("twofa");
    return { url, embedded: true, migrations: await migrate(url), close: () => embedded.stop() };
  } catch (err) {
    await embedded.stop();
    throw err;
  }
}
