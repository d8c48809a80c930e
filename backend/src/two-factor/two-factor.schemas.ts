import { z } from "zod";
import { passwordSchema, totpCodeSchema } from "../http/validate";

const backupCodeSchema = z.string().min(1).max(32);

// Exactly one proof: a TOTP code or a backup code.
export const verifyLoginSchema = z.union([
  z.object({ code: totpCodeSchema, backupCode: z.undefined().optional() }),
  z.object({ backupCode: backupCodeSchema, code: z.undefined().optional() }),
]);

export const setupSchema = z.object({ password: passwordSchema.optional() });

export const enableSchema = z.object({
  token: totpCodeSchema,
  secret: z.string().max(128).optional(),
  password: passwordSchema.optional(),
});

export const disableSchema = z.union([
  z.object({ password: passwordSchema, code: z.undefined().optional() }),
  z.object({ code: totpCodeSchema, password: z.undefined().optional() }),
]);

export const regenerateBackupCodesSchema = z.object({ code: totpCodeSchema, password: passwordSchema.optional() });
