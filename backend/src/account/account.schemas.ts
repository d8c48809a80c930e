import { z } from "zod";
import { emailSchema as email } from "../auth/auth.schemas";
import { passwordSchema, totpCodeSchema } from "../http/validate";
import { authenticationResponseSchema } from "../two-factor/passkey/passkey.schemas";

const resetToken = z.string().min(1).max(200);
// The new password's rule (needs the account's email) is applied by the service.
const newPassword = z.string().max(4096);

export const forgotPasswordSchema = z.object({ email });
export const checkResetLinkSchema = z.object({ token: resetToken });
export const resetPasswordSchema = z.object({ token: resetToken, password: newPassword });

// The current password AND, when 2FA is on, a code or a backup code (checked by the service,
// which knows whether 2FA is on) or a passkey (POST /auth/2fa/passkeys/proof-options); never two of them.
export const changePasswordSchema = z.union([
  z.object({ currentPassword: passwordSchema, newPassword, code: totpCodeSchema, backupCode: z.undefined().optional(), passkey: z.undefined().optional() }),
  z.object({ currentPassword: passwordSchema, newPassword, backupCode: z.string().min(1).max(32), code: z.undefined().optional(), passkey: z.undefined().optional() }),
  z.object({ currentPassword: passwordSchema, newPassword, passkey: authenticationResponseSchema, code: z.undefined().optional(), backupCode: z.undefined().optional() }),
  z.object({ currentPassword: passwordSchema, newPassword, code: z.undefined().optional(), backupCode: z.undefined().optional(), passkey: z.undefined().optional() }),
]);
