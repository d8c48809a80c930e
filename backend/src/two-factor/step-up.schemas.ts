import { z } from "zod";
import { passwordSchema, totpCodeSchema } from "../http/validate";
import { authenticationResponseSchema, type AuthenticationResponseBody } from "./passkey/passkey.schemas";
import { secondFactorOf } from "./second-factor";
import type { StepUpInput } from "./step-up";

export const backupCodeSchema = z.string().min(1).max(32);

/**
 * The step-up fields of a change's body (DESIGN §6 rule 7, ./step-up.ts decides which are needed):
 * the password, at most one second factor — a code, a backup code or a passkey (after POST
 * /auth/2fa/passkeys/proof-options) — and, after an admin reset, the emailed link's token.
 */
export function stepUpSchema<T extends z.ZodRawShape>(extra: T) {
  return z
    .object({
      password: passwordSchema.optional(),
      code: totpCodeSchema.optional(),
      backupCode: backupCodeSchema.optional(),
      passkey: authenticationResponseSchema.optional(),
      enrolmentToken: z.string().min(1).max(200).optional(),
      ...extra,
    })
    .refine((b: { code?: unknown; backupCode?: unknown; passkey?: unknown }) => [b.code, b.backupCode, b.passkey].filter((v) => v !== undefined).length <= 1, {
      message: "send only one of code, backupCode and passkey",
      path: ["code"],
    });
}

/** Adding a passkey: the step-up alone (./step-up.ts). */
export const registrationOptionsSchema = stepUpSchema({});

/** The step-up a parsed body carries. */
export function stepUpOf(body: { password?: string; code?: string; backupCode?: string; passkey?: AuthenticationResponseBody; enrolmentToken?: string }): StepUpInput {
  return { password: body.password, second: secondFactorOf(body), enrolmentToken: body.enrolmentToken };
}
