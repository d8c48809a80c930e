// `npm run db:migrate`: applies pending migrations to DATABASE_URL (or the embedded default).
import { loadConfig } from "../config";
import { openDatabase } from "./open-database";

async function main() {
  const config = loadConfig();
  const db = await openDatabase(config);
  try {
    console.log(db.migrations.applied.length ? `applied: ${db.migrations.applied.join(", ")}` : "database is up to date");
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
