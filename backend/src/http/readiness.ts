// GET /readyz: may this instance take traffic? The database answers and has every migration this
// build ships (a load balancer keeps an instance out while either is false). /healthz stays the
// plain liveness probe.
import type { RequestHandler } from "express";
import type { Db } from "../db/prisma";
import { pendingMigrations } from "../db/migrate";
import { errorBody } from "./errors";

export function readiness(db: Db, expectedMigrations: string[]): RequestHandler {
  return async (_req, res) => {
    let pending: string[];
    try {
      pending = await pendingMigrations(db, expectedMigrations);
    } catch {
      return void res.status(503).json({ status: "unavailable", db: "down", ...errorBody("SERVICE_UNAVAILABLE", {}, "The database is unreachable") });
    }
    if (pending.length > 0) {
      return void res.status(503).json({ status: "unavailable", db: "ok", migrations: "pending", pending, ...errorBody("SERVICE_UNAVAILABLE", {}, "Database migrations are not applied yet") });
    }
    res.json({ status: "ready", db: "ok", migrations: "ok" });
  };
}
