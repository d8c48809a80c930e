import { z } from "zod";
import { passwordSchema, totpCodeSchema } from "../http/validate";
import { authenticationResponseSchema } from "./passkey/passkey.schemas";
import { backupCodeSchema, stepUpSchema } from "./step-up.schemas";

// Exactly one proof: a TOTP code, a backup code or a passkey (after POST /auth/2fa/passkey-options).
// rememberDevice: skip the code step on this browser for 30 days (until tokenVersion changes).
const rememberDevice = z.boolean().optional();
export const verifyLoginSchema = z.union([
  z.object({ code: totpCodeSchema, backupCode: z.undefined().optional(), passkey: z.undefined().optional(), rememberDevice }),
  z.object({ backupCode: backupCodeSchema, code: z.undefined().optional(), passkey: z.undefined().optional(), rememberDevice }),
  z.object({ passkey: authenticationResponseSchema, code: z.undefined().optional(), backupCode: z.undefined().optional(), rememberDevice }),
]);

// DESIGN §6 rules 7, 20: on an account with 2FA the password AND a second factor; after an admin
// reset the emailed link's token AND the password; else a recent login or the password.
export const setupSchema = stepUpSchema({});

// The secret the proven setup issued, confirmed by its first code (a {secret}, if sent, must equal it).
export const enableSchema = z.object({
  token: totpCodeSchema,
  secret: z.string().max(128).optional(),
});

// Both factors: the password AND one of a current code, a backup code or a passkey (proof-options).
export const disableSchema = z.union([
  z.object({ password: passwordSchema, code: totpCodeSchema, backupCode: z.undefined().optional(), passkey: z.undefined().optional() }),
  z.object({ password: passwordSchema, backupCode: backupCodeSchema, code: z.undefined().optional(), passkey: z.undefined().optional() }),
  z.object({ password: passwordSchema, passkey: authenticationResponseSchema, code: z.undefined().optional(), backupCode: z.undefined().optional() }),
]);

// Removing the authenticator app: the same two factors as disable.
export const totpRemoveSchema = disableSchema;

// Both factors, like disable: the password AND a current code, a backup code or a passkey.
export const regenerateBackupCodesSchema = disableSchema;
