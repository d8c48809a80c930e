import { z } from "zod";
import { passwordSchema, totpCodeSchema } from "../http/validate";
import { authenticationResponseSchema } from "./passkey/passkey.schemas";

const backupCodeSchema = z.string().min(1).max(32);

// Exactly one proof: a TOTP code, a backup code or a passkey (after POST /auth/2fa/passkey-options).
// rememberDevice: skip the code step on this browser for 30 days (until tokenVersion changes).
const rememberDevice = z.boolean().optional();
export const verifyLoginSchema = z.union([
  z.object({ code: totpCodeSchema, backupCode: z.undefined().optional(), passkey: z.undefined().optional(), rememberDevice }),
  z.object({ backupCode: backupCodeSchema, code: z.undefined().optional(), passkey: z.undefined().optional(), rememberDevice }),
  z.object({ passkey: authenticationResponseSchema, code: z.undefined().optional(), backupCode: z.undefined().optional(), rememberDevice }),
]);

export const setupSchema = z.object({ password: passwordSchema.optional() });

export const enableSchema = z.object({
  token: totpCodeSchema,
  secret: z.string().max(128).optional(),
  password: passwordSchema.optional(),
});

// Both factors: the password AND one of a current code, a backup code or a passkey (proof-options).
export const disableSchema = z.union([
  z.object({ password: passwordSchema, code: totpCodeSchema, backupCode: z.undefined().optional(), passkey: z.undefined().optional() }),
  z.object({ password: passwordSchema, backupCode: backupCodeSchema, code: z.undefined().optional(), passkey: z.undefined().optional() }),
  z.object({ password: passwordSchema, passkey: authenticationResponseSchema, code: z.undefined().optional(), backupCode: z.undefined().optional() }),
]);

// Removing the authenticator app: the same two factors as disable.
export const totpRemoveSchema = disableSchema;

// A current code or a backup code; the password only when the login is over 10 minutes old.
export const regenerateBackupCodesSchema = z.union([
  z.object({ code: totpCodeSchema, backupCode: z.undefined().optional(), passkey: z.undefined().optional(), password: passwordSchema.optional() }),
  z.object({ backupCode: backupCodeSchema, code: z.undefined().optional(), passkey: z.undefined().optional(), password: passwordSchema.optional() }),
  z.object({ passkey: authenticationResponseSchema, code: z.undefined().optional(), backupCode: z.undefined().optional(), password: passwordSchema.optional() }),
]);
