import type { Logger } from "pino";
import type { Config } from "./config";
import type { Db } from "./db/prisma";
import type { Clock } from "./auth/clock";
import type { CookieWriter } from "./auth/cookies";
import type { TokenService } from "./auth/tokens";
import type { SqlRunner } from "./db/hot-sql";
import type { Csrf } from "./security/csrf";
import type { SecretBox } from "./security/encryption";

/** What every service needs; built once by createApp. */
export interface Context {
  config: Config;
  db: Db;
  clock: Clock;
  logger: Logger;
  tokens: TokenService;
  cookies: CookieWriter;
  secretBox: SecretBox;
  csrf: Csrf;
  /** the hot-path statements on the raw pool (db/hot-sql.ts) */
  hotSql: SqlRunner;
}
