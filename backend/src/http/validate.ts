import type { Request } from "express";
import { z } from "zod";
import { AppError } from "./errors";

/** Parses a request body with zod; a mismatch is a 400 VALIDATION_FAILED listing the fields. */
export function parseBody<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  const result = schema.safeParse(req.body ?? {});
  if (!result.success) {
    const fields = result.error.issues.map((i) => ({ field: i.path.join(".") || "(body)", message: i.message }));
    throw new AppError("VALIDATION_FAILED", { fields });
  }
  return result.data;
}

/** Six ASCII digits once spaces are removed ("123 456" is fine; "１２３４５６", 123456, "12345a" are not). */
export const totpCodeSchema = z
  .string()
  .transform((s) => s.replace(/ /g, ""))
  .pipe(z.string().regex(/^[0-9]{6}$/, "must be six digits"));

export const passwordSchema = z.string().min(1).max(1024);
