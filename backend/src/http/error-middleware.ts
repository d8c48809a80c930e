import type { ErrorRequestHandler, RequestHandler } from "express";
import { AppError, errorBody } from "./errors";

/** Database or Redis unreachable: the client did nothing wrong and should retry later. */
export function isInfrastructureError(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string; cause?: unknown } | undefined;
  if (!e) return false;
  const codes = ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EPIPE", "57P01", "57P03", "53300", "P1001", "P1017", "P2024"];
  if (e.code && codes.includes(e.code)) return true;
  if (e.name === "DriverAdapterError" || e.name === "PrismaClientInitializationError") return true;
  if (/Connection terminated|connection timeout|timeout exceeded when trying to connect|Can't reach database|ECONNREFUSED|The client is closed/i.test(e.message ?? "")) return true;
  return e.cause !== undefined && e.cause !== err && isInfrastructureError(e.cause);
}

export const notFound: RequestHandler = (_req, res) => {
  res.status(404).json(errorBody("NOT_FOUND"));
};

export const errorMiddleware: ErrorRequestHandler = (err, req, res, _next) => {
  if (err instanceof AppError) {
    if (err.status === 429 && typeof err.extra.retryAfterSeconds === "number") res.setHeader("Retry-After", String(err.extra.retryAfterSeconds));
    res.status(err.status).json(err.toJSON());
    return;
  }
  // body-parser errors carry `type`; they are the client's mistake, never a 500.
  const type = (err as { type?: string }).type;
  if (type === "entity.parse.failed") return void res.status(400).json(errorBody("MALFORMED_JSON"));
  if (type === "entity.too.large") return void res.status(413).json(errorBody("PAYLOAD_TOO_LARGE"));
  if (type === "charset.unsupported" || type === "encoding.unsupported") return void res.status(415).json(errorBody("UNSUPPORTED_MEDIA_TYPE"));
  if (isInfrastructureError(err)) {
    req.log?.warn({ err: { message: (err as Error).message } }, "dependency unavailable");
    res.setHeader("Retry-After", "5");
    return void res.status(503).json(errorBody("SERVICE_UNAVAILABLE"));
  }
  req.log?.error({ err }, "unhandled error");
  res.status(500).json(errorBody("INTERNAL_ERROR"));
};
