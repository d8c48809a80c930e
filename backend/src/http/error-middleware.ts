import type { ErrorRequestHandler, RequestHandler } from "express";
import { AppError, ERROR_CODES, errorBody, type ErrorCode } from "./errors";

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

const BODY_ERRORS: Record<string, ErrorCode> = {
  "entity.parse.failed": "MALFORMED_JSON",
  "entity.too.large": "PAYLOAD_TOO_LARGE",
  "charset.unsupported": "UNSUPPORTED_MEDIA_TYPE",
  "encoding.unsupported": "UNSUPPORTED_CONTENT_ENCODING",
  // the client sent fewer bytes than its Content-Length, or went away mid-body
  "request.aborted": "MALFORMED_BODY",
  "request.size.invalid": "MALFORMED_BODY",
};

/**
 * The catalogue code for an error body-parser raised, or undefined. body-parser gives most of its
 * errors a `type`; a decompression failure (Content-Encoding: gzip over a plain or truncated body)
 * is zlib's own error (Z_DATA_ERROR, Z_BUF_ERROR; brotli's ERR__ERROR_FORMAT_*) re-thrown with
 * status 400 and no type.
 */
function unreadableBody(err: unknown): ErrorCode | undefined {
  const e = err as { type?: unknown; status?: unknown; expose?: unknown; code?: unknown };
  if (typeof e.type === "string" && Object.hasOwn(BODY_ERRORS, e.type)) return BODY_ERRORS[e.type];
  if (e.status === 400 && e.expose === true && typeof e.code === "string" && /^(Z_|ERR__)/.test(e.code)) return "MALFORMED_BODY";
  return undefined;
}

/** A dependency that failed usually comes back (restart, failover) within seconds. */
const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

export const notFound: RequestHandler = (_req, res) => {
  res.status(404).json(errorBody("NOT_FOUND"));
};

export const errorMiddleware: ErrorRequestHandler = (err, req, res, _next) => {
  if (err instanceof AppError) {
    // for the metrics (metrics/metrics.ts): what the answer was, without parsing it again
    res.locals.errorCode = err.code;
    if (typeof err.extra.reason === "string") res.locals.errorReason = err.extra.reason;
    // 429 (limits) and 503 (e.g. the password-hashing queue is full) say when to come back.
    if ((err.status === 429 || err.status === 503) && typeof err.extra.retryAfterSeconds === "number") {
      res.setHeader("Retry-After", String(err.extra.retryAfterSeconds));
    }
    res.status(err.status).json(err.toJSON());
    return;
  }
  // The router could not percent-decode a route parameter (DELETE /auth/sessions/%): the client's URL.
  if (err instanceof URIError) return void res.status(400).json(errorBody("VALIDATION_FAILED", { fields: [{ field: "(params)", message: "is not valid percent-encoding" }] }));
  // A body the parser could not read is the client's mistake, never a 500.
  const unreadable = unreadableBody(err);
  if (unreadable) {
    // warn, without a stack: nothing here is ours to fix, but a flood of them is worth seeing
    req.log?.warn({ body: { type: (err as { type?: string }).type, code: (err as { code?: string }).code, message: (err as Error).message } }, "unreadable request body");
    return void res.status(ERROR_CODES[unreadable].status).json(errorBody(unreadable));
  }
  if (isInfrastructureError(err)) {
    req.log?.warn({ err: { message: (err as Error).message } }, "dependency unavailable");
    res.setHeader("Retry-After", String(DEPENDENCY_RETRY_AFTER_SECONDS));
    return void res.status(503).json(errorBody("SERVICE_UNAVAILABLE", { retryAfterSeconds: DEPENDENCY_RETRY_AFTER_SECONDS }));
  }
  req.log?.error({ err }, "unhandled error");
  res.status(500).json(errorBody("INTERNAL_ERROR"));
};
