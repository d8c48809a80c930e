import type { Request } from "express";
import { z } from "zod";
import { AppError } from "./errors";

function parseWith<S extends z.ZodType>(schema: S, input: unknown, root: string): z.infer<S> {
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

/** Six ASCII digits once spaces are removed ("123 456" is fine; "１２３４５６", 123456, "12345a" are not). */
export const totpCodeSchema = z
  .string()
  .transform((s) => s.replace(/ /g, ""))
  .pipe(z.string().regex(/^[0-9]{6}$/, "must be six digits"));

export const passwordSchema = z.string().min(1).max(1024);

