// `npm run db:migrate`: applies pending migrations to DATABASE_URL (or the embedded default).
// While `npm start` runs on the embedded database, this joins that server (it does not start a
// second one, and leaves it running); otherwise it starts the embedded server for the duration.
import { describeError, runCli } from "../cli/errors";
import { loadConfig } from "../config";
import { openDatabase } from "./open-database";

runCli(async () => {
  const config = loadConfig();
  const db = await openDatabase(config, (m) => console.error(m), { role: "cli" });
  try {
    if (db.joined) console.error(`using the embedded PostgreSQL of the running app (process ${db.joined.ownerPid}, port ${db.joined.port})`);
    console.log(db.migrations.applied.length ? `applied: ${db.migrations.applied.join(", ")}` : "database is up to date");
  } finally {
    await db.close().catch((err) => console.error(`warning: stopping the embedded PostgreSQL failed: ${describeError(err)}`));
  }
});
