import type { ErrorRequestHandler, RequestHandler } from "express";
import { AppError, errorBody } from "./errors";

const DRIVER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TlsConnectionError", "TooManyConnections"]);
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EPIPE", "EHOSTUNREACH", "P1001", "P1002", "P1017", "P2024"]);
// SQLSTATE: 08xxx connection exceptions, 57P01-57P03 shutdown / cannot connect now, 53300 too many
// connections, 57014 query_canceled (statement_timeout hit, see config.ts DATABASE_POOL_DEFAULTS,
// or cancelled by an operator): the database is unavailable or overloaded for now, retry later.
const SQLSTATE = /^(08...|57P0[123]|53300|57014)$/;
const MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Can't reach database|ECONNREFUSED|The client is closed|not queryable|terminating connection/i;

/**
 * Database or Redis unreachable: the client did nothing wrong and should retry later (503).
 * Prisma wraps driver errors (e.g. P2010 for $queryRaw) and keeps the real one in
 * meta.driverAdapterError.cause ({kind, originalCode}); pg puts it in `code`; so look everywhere.
 */
export function isInfrastructureError(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 5) return false;
  const e = err as { code?: unknown; kind?: unknown; originalCode?: unknown; name?: unknown; message?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } };
  if (typeof e.code === "string" && (NETWORK_CODES.has(e.code) || SQLSTATE.test(e.code))) return true;
  if (typeof e.kind === "string" && DRIVER_KINDS.has(e.kind)) return true;
  if (typeof e.originalCode === "string" && SQLSTATE.test(e.originalCode)) return true;
  if (e.name === "PrismaClientInitializationError") return true;
  if (typeof e.message === "string" && MESSAGES.test(e.message)) return true;
  return [e.cause, e.meta?.driverAdapterError].some((inner) => inner !== err && isInfrastructureError(inner, depth + 1));
}

/** A dependency that failed usually comes back (restart, failover) within seconds. */
const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

export const notFound: RequestHandler = (_req, res) => {
  res.status(404).json(errorBody("NOT_FOUND"));
};

export const errorMiddleware: ErrorRequestHandler = (err, req, res, _next) => {
  if (err instanceof AppError) {
    // 429 (limits) and 503 (e.g. the password-hashing queue is full) say when to come back.
    if ((err.status === 429 || err.status === 503) && typeof err.extra.retryAfterSeconds === "number") {
      res.setHeader("Retry-After", String(err.extra.retryAfterSeconds));
    }
    res.status(err.status).json(err.toJSON());
    return;
  }
  // body-parser errors carry `type`; they are the client's mistake, never a 500.
  const type = (err as { type?: string }).type;
  if (type === "entity.parse.failed") return void res.status(400).json(errorBody("MALFORMED_JSON"));
  if (type === "entity.too.large") return void res.status(413).json(errorBody("PAYLOAD_TOO_LARGE"));
  if (type === "charset.unsupported" || type === "encoding.unsupported") return void res.status(415).json(errorBody("UNSUPPORTED_MEDIA_TYPE"));
  // The router could not percent-decode a route parameter (DELETE /auth/sessions/%): the client's URL.
  if (err instanceof URIError) return void res.status(400).json(errorBody("VALIDATION_FAILED", { fields: [{ field: "(params)", message: "is not valid percent-encoding" }] }));
  if (isInfrastructureError(err)) {
    req.log?.warn({ err: { message: (err as Error).message } }, "dependency unavailable");
    res.setHeader("Retry-After", String(DEPENDENCY_RETRY_AFTER_SECONDS));
    return void res.status(503).json(errorBody("SERVICE_UNAVAILABLE", { retryAfterSeconds: DEPENDENCY_RETRY_AFTER_SECONDS }));
  }
  req.log?.error({ err }, "unhandled error");
  res.status(500).json(errorBody("INTERNAL_ERROR"));
};
