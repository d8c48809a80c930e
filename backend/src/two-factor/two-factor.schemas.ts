import { z } from "zod";
import { passwordSchema, totpCodeSchema } from "../http/validate";

const backupCodeSchema = z.string().min(1).max(32);

// Exactly one proof: a TOTP code or a backup code.
// rememberDevice: skip the code step on this browser for 30 days (until tokenVersion changes).
const rememberDevice = z.boolean().optional();
export const verifyLoginSchema = z.union([
  z.object({ code: totpCodeSchema, backupCode: z.undefined().optional(), rememberDevice }),
  z.object({ backupCode: backupCodeSchema, code: z.undefined().optional(), rememberDevice }),
]);

export const setupSchema = z.object({ password: passwordSchema.optional() });

export const enableSchema = z.object({
  token: totpCodeSchema,
  secret: z.string().max(128).optional(),
  password: passwordSchema.optional(),
});

// Both factors: the password AND one of a current code or a backup code.
export const disableSchema = z.union([
  z.object({ password: passwordSchema, code: totpCodeSchema, backupCode: z.undefined().optional() }),
  z.object({ password: passwordSchema, backupCode: backupCodeSchema, code: z.undefined().optional() }),
]);

// A current code or a backup code; the password only when the login is over 10 minutes old.
export const regenerateBackupCodesSchema = z.union([
  z.object({ code: totpCodeSchema, backupCode: z.undefined().optional(), password: passwordSchema.optional() }),
  z.object({ backupCode: backupCodeSchema, code: z.undefined().optional(), password: passwordSchema.optional() }),
]);
