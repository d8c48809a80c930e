import type { Request } from "express";
import { z } from "zod";
import { AppError } from "./errors";

// A NUL character (PostgreSQL cannot store one in text) or half of a surrogate pair (not text at
// all: Prisma's engine refuses it) reached a query as a 500.
const UNSTORABLE = /\u0000|\p{Cs}/u;

/**
 * The path of the first string in `input` that no column can hold (null when none). Every string
 * a client sends passes through parseWith, so it is refused here, once, as the client's mistake.
 */
function unstorablePath(input: unknown, path: string[] = [], depth = 0): string[] | null {
  if (typeof input === "string") return UNSTORABLE.test(input) ? path : null;
  if (!input || typeof input !== "object" || depth > 20) return null;
  for (const [key, value] of Object.entries(input)) {
    const found = unstorablePath(value, [...path, key], depth + 1);
    if (found) return found;
  }
  return null;
}

function parseWith<S extends z.ZodType>(schema: S, input: unknown, root: string): z.infer<S> {
  const bad = unstorablePath(input);
  if (bad) throw new AppError("VALIDATION_FAILED", { fields: [{ field: bad.join(".") || root, message: "must not contain a NUL character or a lone surrogate" }] });
  const result = schema.safeParse(input);
  if (!result.success) {
    const fields = result.error.issues.map((i) => ({ field: i.path.join(".") || root, message: i.message }));
    throw new AppError("VALIDATION_FAILED", { fields });
  }
  return result.data;
}

/** Parses a request body with zod; a mismatch is a 400 VALIDATION_FAILED listing the fields. */
export const parseBody = <S extends z.ZodType>(schema: S, req: Request): z.infer<S> => parseWith(schema, req.body ?? {}, "(body)");

/** Route parameters, the same way. */
export const parseParams = <S extends z.ZodType>(schema: S, req: Request): z.infer<S> => parseWith(schema, req.params, "(params)");

/** The query string, the same way. */
export const parseQuery = <S extends z.ZodType>(schema: S, req: Request): z.infer<S> => parseWith(schema, req.query, "(query)");

/** What every id we issue looks like (cuid, base64url random): nothing else can name a row. */
const RESOURCE_ID = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * The `:id` of a route naming one of our rows. Anything that cannot be such an id (too long,
 * unicode, a NUL...) names nothing: 404 NOT_FOUND like an unknown id, without a query.
 */
export function parseResourceId(req: Request, param = "id"): string {
  const id = req.params[param];
  if (typeof id !== "string" || !RESOURCE_ID.test(id)) throw new AppError("NOT_FOUND");
  return id;
}

/** Six ASCII digits once spaces are removed ("123 456" is fine; "１２３４５６", 123456, "12345a" are not). */
export const totpCodeSchema = z
  .string()
  .transform((s) => s.replace(/ /g, ""))
  .pipe(z.string().regex(/^[0-9]{6}$/, "must be six digits"));

export const passwordSchema = z.string().min(1).max(1024);

