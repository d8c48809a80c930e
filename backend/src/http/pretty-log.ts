// LOG_FORMAT=pretty (the development default): short readable lines instead of JSON.
//   [14:02:11] INFO: TwoFA listening on http://localhost:3000
//   [14:02:15] INFO: GET /auth/session 200 3 ms
//   [14:02:19] WARN: redis error (rate limits fail open) {"err":{"message":"..."}}
// Same logger, same redaction (LOG_REDACT_PATHS): only the rendering differs. Production keeps
// JSON (LOG_FORMAT=json), one object a line, for log shippers.
import type { DestinationStream } from "pino";
import pretty from "pino-pretty";

interface RequestLog {
  req?: { method?: string; url?: string; path?: string };
  res?: { statusCode?: number };
  responseTime?: number;
}

/** "GET /auth/me 401 3 ms" for a request line (pino-http's req/res/responseTime), else the message. */
export function formatLogMessage(log: Record<string, unknown>, messageKey: string): string {
  const { req, res, responseTime } = log as RequestLog;
  const message = typeof log[messageKey] === "string" ? (log[messageKey] as string) : "";
  if (!req?.method || res?.statusCode === undefined) return message;
  const path = req.path ?? req.url?.split("?")[0] ?? "";
  const time = typeof responseTime === "number" ? ` ${Math.round(responseTime)} ms` : "";
  const failed = message && !/^request (completed|errored)$/.test(message) ? ` (${message})` : "";
  return `${req.method} ${path} ${res.statusCode}${time}${failed}`;
}

/** A synchronous pino-pretty stream on stdout (sync: nothing is lost when the process exits), or on `destination`. */
export function prettyDestination(destination?: NodeJS.WritableStream): DestinationStream {
  return pretty({
    sync: true,
    ...(destination ? { destination } : {}),
    translateTime: "SYS:HH:MM:ss",
    singleLine: true,
    ignore: "pid,hostname,req,res,responseTime,reqId",
    messageFormat: formatLogMessage,
  });
}
