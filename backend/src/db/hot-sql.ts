// The few statements that every request of the hot paths pays for — the session check behind
// every authenticated request, the refresh rotation, and verify-login's load and consume —
// run here directly on the pg pool that Prisma's adapter uses (db/prisma.ts createPrisma),
// skipping Prisma's query pipeline. Everything else (schema, migrations, every other query)
// stays Prisma. The statements are still built with Prisma.sql (parameters, never strings).
//
// Why, measured (bench/RESULTS.md, "where the time goes", `npm run bench -- profile`): under
// load the Prisma client + adapter layer took ~24 % of the API's CPU for `GET /auth/me` —
// about 4× the pg driver it wraps — for one $queryRaw per request; the same statements on the
// raw pool cost only the driver's share. See RESULTS.md for the before/after ratios.
import type { Prisma } from "@prisma/client";
import pg from "pg";
import { poolOf, type Db } from "./prisma";

/** Runs one statement and returns its rows. */
export type SqlRunner = <T>(sql: Prisma.Sql) => Promise<T[]>;

// TIMESTAMP(3) columns (no time zone) hold UTC, as Prisma writes them: read them as UTC whatever
// the process's TZ (pg's default parser would read them as local time).
const TIMESTAMP = 1114;
const parseUtcTimestamp = (value: string) => new Date(`${value.replace(" ", "T")}Z`);
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === TIMESTAMP ? parseUtcTimestamp : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** The hot-path runner: the statement on the raw pool (its text uses $1.. placeholders). */
export function hotSql(db: Db): SqlRunner {
  const pool = poolOf(db);
  return async <T>(sql: Prisma.Sql) => (await pool.query({ text: sql.text, values: sql.values, types })).rows as T[];
}

/** The same statement through Prisma (inside an interactive transaction, say). */
export function prismaSql(db: Pick<Db, "$queryRaw">): SqlRunner {
  return <T>(sql: Prisma.Sql) => db.$queryRaw<T[]>(sql);
}
