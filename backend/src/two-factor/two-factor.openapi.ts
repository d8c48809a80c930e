// OpenAPI docs of two-factor.routes.ts (/auth/2fa/*). Request schemas: two-factor.schemas.ts.
import { z } from "zod";
import { MessageResponse, PublicUser, named, type RouteDoc } from "../http/openapi";
import { disableSchema, enableSchema, regenerateBackupCodesSchema, setupSchema, totpRemoveSchema, verifyLoginSchema } from "./two-factor.schemas";

const SESSION_COOKIES = ["access_token", "refresh_token", "XSRF-TOKEN"];
const BackupCodes = z.array(z.string()).meta({ description: "10 single-use codes (xxxx-xxxx), shown once" });

export const TwoFactorStatus = named(
  "TwoFactorStatus",
  z.object({
    enabled: z.boolean().meta({ description: "at least one second factor" }),
    totp: z.boolean().meta({ description: "an authenticator app is set up" }),
    passkeys: z.number().int().meta({ description: "how many passkeys / security keys" }),
    backupCodesRemaining: z.number().int(),
    backupCodesTotal: z.number().int(),
  }),
);

export const twoFactorDocs: RouteDoc[] = [
  {
    method: "post",
    path: "/auth/2fa/verify-login",
    tag: "two-factor",
    summary: "Second step of the login: a code, a backup code or a passkey",
    description:
      "Consumes the login challenge of the twofa_token cookie (single use). A wrong code is 400 INVALID_CODE {attemptsRemaining, reason?} — never `clock_drift` here, and `replay` only for the current code (DESIGN §6 rule 19); " +
      "`clockDrift` in the answer tells how far the phone's clock was off when this login's refused codes showed it. " +
      "5 wrong per challenge and 5 per account per 15 min, then 429 with Retry-After. `rememberDevice` skips this step on this browser for 30 days.",
    auth: "twofa",
    body: verifyLoginSchema,
    responses: {
      200: {
        description: "signed in",
        schema: named(
          "VerifyLoginResponse",
          z.object({
            message: z.string(),
            user: PublicUser,
            clockDrift: z
              .object({ driftSeconds: z.number().int().meta({ description: "signed: positive, the phone is fast" }), message: z.string() })
              .optional()
              .meta({ description: "the refused codes of this login were codes of another time step (DESIGN §6 rule 19)" }),
          }),
        ),
        setsCookies: [...SESSION_COOKIES, "device", "trusted_device (rememberDevice)"],
      },
    },
    errors: ["INVALID_CODE", "PASSKEY_FAILED", "SESSION_EXPIRED", "TOO_MANY_ATTEMPTS", "TOO_MANY_REQUESTS"],
  },
  {
    method: "post",
    path: "/auth/2fa/setup",
    tag: "two-factor",
    summary: "Start setting up an authenticator app",
    description: "The server issues the secret (stored encrypted, pending until /enable). The step-up of DESIGN §6 rule 7: on an account with 2FA the `password` AND a second factor (`code`, `backupCode` or `passkey` after /auth/2fa/passkeys/proof-options); after an admin reset the emailed link's `enrolmentToken` AND the `password` (rule 20); otherwise a login under 10 minutes old or the `password`. Missing: 401 REAUTH_REQUIRED {needs}.",
    auth: "setup",
    body: setupSchema,
    responses: { 200: { description: "the pending secret", schema: named("TwoFactorSetupResponse", z.object({ secret: z.string(), otpauthUrl: z.string() })) } },
    errors: ["TWOFA_ALREADY_ENABLED", "REAUTH_REQUIRED", "INVALID_PASSWORD", "INVALID_CODE", "PASSKEY_FAILED", "TWOFA_NOT_ENABLED", "ENROLMENT_LINK_INVALID", "ENROLMENT_LINK_EXPIRED", "TOO_MANY_ATTEMPTS", "TOO_MANY_REQUESTS"],
  },
  {
    method: "post",
    path: "/auth/2fa/enrolment-link",
    tag: "two-factor",
    summary: "After an admin reset: email a new link to set up 2FA again",
    description: "Only while the setup is required (DESIGN §6 rule 20). One link per 10 minutes (429 with Retry-After); the new link replaces the earlier ones. Works for 24 hours, with the password.",
    auth: "setup",
    responses: { 202: { description: "emailed", schema: MessageResponse } },
    errors: ["TWOFA_ALREADY_ENABLED", "TOO_MANY_REQUESTS"],
  },
  {
    method: "post",
    path: "/auth/2fa/enable",
    tag: "two-factor",
    summary: "Confirm the authenticator app with its first code",
    description: "Confirms the secret the (step-up proven) /setup issued. Backup codes only when this is the account's first factor. Every other session and remembered device ends; this one is re-issued.",
    auth: "setup",
    body: enableSchema,
    responses: {
      200: {
        description: "on",
        schema: named("TwoFactorEnableResponse", z.object({ message: z.string(), backupCodes: BackupCodes.optional() })),
        setsCookies: SESSION_COOKIES,
      },
    },
    errors: ["INVALID_CODE", "NO_PENDING_SETUP", "TOO_MANY_ATTEMPTS", "TOO_MANY_REQUESTS"],
  },
  {
    method: "post",
    path: "/auth/2fa/disable",
    tag: "two-factor",
    summary: "Turn two-factor authentication off (every factor)",
    description: "Needs the password AND a second factor. Every other session and remembered device ends; this one is re-issued.",
    auth: "access",
    body: disableSchema,
    responses: { 200: { description: "off", schema: MessageResponse, setsCookies: SESSION_COOKIES } },
    errors: ["INVALID_PASSWORD", "INVALID_CODE", "PASSKEY_FAILED", "TWOFA_NOT_ENABLED", "TOO_MANY_ATTEMPTS", "TOO_MANY_REQUESTS"],
  },
  {
    method: "post",
    path: "/auth/2fa/totp/remove",
    tag: "two-factor",
    summary: "Remove the authenticator app (other factors stay)",
    description:
      "Needs the password AND a second factor. If it was the last factor this is the same as /disable (backup codes deleted). " +
      "Every other session and remembered device ends; this one is re-issued.",
    auth: "access",
    body: totpRemoveSchema,
    responses: {
      200: {
        description: "removed; twoFactorEnabled false when it was the last factor",
        schema: named("FactorRemovedResponse", z.object({ message: z.string(), twoFactorEnabled: z.boolean() })),
        setsCookies: SESSION_COOKIES,
      },
    },
    errors: ["INVALID_PASSWORD", "INVALID_CODE", "PASSKEY_FAILED", "TWOFA_NOT_ENABLED", "TOO_MANY_ATTEMPTS", "TOO_MANY_REQUESTS"],
  },
  {
    method: "get",
    path: "/auth/2fa/status",
    tag: "two-factor",
    summary: "Which factors are on, and backup codes left",
    auth: "access",
    responses: { 200: { description: "the status", schema: TwoFactorStatus } },
    errors: ["TOO_MANY_REQUESTS"],
  },
  {
    method: "post",
    path: "/auth/2fa/backup-codes",
    tag: "two-factor",
    summary: "Replace the backup codes",
    description: "Needs the password AND a second factor (DESIGN §6 rule 7). The old codes stop working.",
    auth: "access",
    body: regenerateBackupCodesSchema,
    responses: { 200: { description: "the new codes", schema: named("BackupCodesResponse", z.object({ backupCodes: BackupCodes })), setsCookies: SESSION_COOKIES } },
    errors: ["INVALID_CODE", "PASSKEY_FAILED", "TWOFA_NOT_ENABLED", "INVALID_PASSWORD", "TOO_MANY_ATTEMPTS", "TOO_MANY_REQUESTS"],
  },
];
