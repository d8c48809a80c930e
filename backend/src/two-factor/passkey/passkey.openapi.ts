// OpenAPI docs of passkey.routes.ts (/auth/2fa/passkeys*, /auth/2fa/passkey-options).
// Request schemas: passkey.schemas.ts.
import { z } from "zod";
import { isoTime, named, UserResponse, type RouteDoc } from "../../http/openapi";
import { addPasskeySchema, passkeyLoginSchema, removePasskeySchema, renamePasskeySchema } from "./passkey.schemas";
import { registrationOptionsSchema } from "../step-up.schemas";

const SESSION_COOKIES = ["access_token", "refresh_token", "XSRF-TOKEN"];

export const PasskeyDoc = named(
  "Passkey",
  z.object({
    id: z.string(),
    name: z.string().meta({ description: "the name the user gave it" }),
    createdAt: isoTime(),
    lastUsedAt: isoTime().nullable(),
    deviceType: z.enum(["singleDevice", "multiDevice"]).meta({ description: "multiDevice: a synced passkey (iCloud Keychain, Google Password Manager...)" }),
    backedUp: z.boolean(),
    transports: z.array(z.string()).meta({ description: "usb, nfc, ble, internal, hybrid..." }),
    signInWithoutPassword: z.boolean().meta({
      description:
        "a discoverable passkey (the browser's credProps said so at registration): it can sign in alone (POST /auth/passkey/login). False when the browser did not say (keys added before this was recorded)",
    }),
  }),
  "a passkey or security key registered as a second factor (never its key or credential id)",
);

const CredentialDescriptor = z.object({ id: z.string(), type: z.literal("public-key"), transports: z.array(z.string()).optional() });

const CreationOptions = named(
  "PublicKeyCredentialCreationOptionsJSON",
  z
    .object({
      rp: z.object({ name: z.string(), id: z.string() }),
      user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
      challenge: z.string().meta({ description: "base64url, single use, 5 minutes, bound to this session" }),
      pubKeyCredParams: z.array(z.object({ alg: z.number().int(), type: z.literal("public-key") })),
      timeout: z.number().int(),
      excludeCredentials: z.array(CredentialDescriptor),
      authenticatorSelection: z.object({ residentKey: z.string(), userVerification: z.literal("required"), requireResidentKey: z.boolean().optional() }),
      attestation: z.literal("none"),
    })
    .loose(),
  "pass to @simplewebauthn/browser startRegistration({optionsJSON})",
);

const RequestOptions = named(
  "PublicKeyCredentialRequestOptionsJSON",
  z
    .object({
      rpId: z.string(),
      challenge: z.string().meta({ description: "base64url, single use, 5 minutes" }),
      timeout: z.number().int(),
      allowCredentials: z.array(CredentialDescriptor),
      userVerification: z.literal("required"),
    })
    .loose(),
  "pass to @simplewebauthn/browser startAuthentication({optionsJSON})",
);

const PROOF_ERRORS = ["INVALID_PASSWORD", "INVALID_CODE", "PASSKEY_FAILED", "TWOFA_NOT_ENABLED", "TOO_MANY_ATTEMPTS", "TOO_MANY_REQUESTS", "SERVICE_UNAVAILABLE"] as const;

export const passkeyDocs: RouteDoc[] = [
  {
    method: "post",
    path: "/auth/passkey/options",
    tag: "passkeys",
    summary: "Sign in with a passkey alone: request options",
    description:
      "No user is named: `allowCredentials` is empty (the browser offers the discoverable passkeys it holds for this site; pass `mediation: 'conditional'` for autofill), user verification required. " +
      "The challenge is stored server-side for 5 minutes, single use, and bound to this browser by the HttpOnly `passkey_login` cookie (Path /auth/passkey). " +
      "Then POST /auth/passkey/login. Counts in the per-IP flood limit of POST /auth/login.",
    auth: "none",
    responses: { 200: { description: "request options (empty allowCredentials)", schema: RequestOptions, setsCookies: ["passkey_login"] } },
    errors: ["TOO_MANY_REQUESTS"],
  },
  {
    method: "post",
    path: "/auth/passkey/login",
    tag: "passkeys",
    summary: "Sign in with a passkey alone: the assertion",
    description:
      "Needs the `passkey_login` cookie of POST /auth/passkey/options (always cleared by this answer: single use). The user is the credential's owner (a `userHandle`, if sent, must be that user's). " +
      "A discoverable passkey with user verification counts as both factors: a session with authMethod `passkey`, like a completed login (device cookie, new-device email). " +
      "400 PASSKEY_FAILED without `reason` for an unknown credential, a wrong signature, origin or RP ID, or another user's handle (alike, on purpose); " +
      "`reason: challenge` when the challenge is missing, used, expired, another browser's or of another purpose; `user_verification` (the authenticator did not check a PIN or biometric) and `counter_rollback` only for an assertion whose signature verified. " +
      "Failures of a known credential count in its account's proof budget (5 per 15 min); a locked account gets 429 TOO_MANY_ATTEMPTS even with a valid assertion. Counts in the per-IP flood limit of POST /auth/login.",
    auth: "none",
    body: passkeyLoginSchema,
    responses: { 200: { description: "signed in", schema: UserResponse, setsCookies: [...SESSION_COOKIES, "device", "passkey_login (cleared)"] } },
    errors: ["PASSKEY_FAILED", "TOO_MANY_ATTEMPTS", "TOO_MANY_REQUESTS"],
  },
  {
    method: "post",
    path: "/auth/2fa/passkey-options",
    tag: "passkeys",
    summary: "Code step of a login: options to sign in with a passkey",
    description:
      "The challenge is stored on the login challenge of the twofa_token cookie (a newer call replaces it). Then POST /auth/2fa/verify-login {passkey}.",
    auth: "twofa",
    responses: { 200: { description: "request options", schema: RequestOptions } },
    errors: ["SESSION_EXPIRED", "PASSKEY_NOT_REGISTERED", "TOO_MANY_ATTEMPTS", "TOO_MANY_REQUESTS"],
  },
  {
    method: "post",
    path: "/auth/2fa/passkeys/registration-options",
    tag: "passkeys",
    summary: "Start adding a passkey or security key",
    description:
      "The step-up for adding a factor (DESIGN §6 rule 7): on an account with 2FA the `password` AND a second factor (`code`, `backupCode` or `passkey`); after an admin reset the emailed link's `enrolmentToken` AND the `password`; otherwise a login under 10 minutes old or the `password` — else 401 REAUTH_REQUIRED {needs}. " +
      "User verification required, attestation none, the user's keys excluded. " +
      "The challenge is bound to this session; a newer call replaces it.",
    auth: "setup",
    body: registrationOptionsSchema,
    responses: { 200: { description: "creation options", schema: CreationOptions } },
    errors: ["REAUTH_REQUIRED", "INVALID_PASSWORD", "TOO_MANY_ATTEMPTS", "TOO_MANY_REQUESTS", "SERVICE_UNAVAILABLE"],
  },
  {
    method: "post",
    path: "/auth/2fa/passkeys",
    tag: "passkeys",
    summary: "Add the passkey (the browser's registration response)",
    description:
      "Takes the registration challenge of this session (single use) and verifies the response. A 2FA change: every other session and remembered device ends, this one is re-issued. " +
      "`backupCodes` only when this is the account's first factor. A response that cannot be decoded is 400 VALIDATION_FAILED (nothing stored); a refused one 400 PASSKEY_FAILED {reason?}.",
    auth: "setup",
    body: addPasskeySchema,
    responses: {
      201: {
        description: "added",
        schema: named("AddPasskeyResponse", z.object({ passkey: PasskeyDoc, backupCodes: z.array(z.string()).optional().meta({ description: "10 single-use codes, first factor only, shown once" }) })),
        setsCookies: SESSION_COOKIES,
      },
    },
    errors: ["PASSKEY_FAILED", "PASSKEY_ALREADY_REGISTERED", "TOO_MANY_ATTEMPTS", "TOO_MANY_REQUESTS"],
  },
  {
    method: "get",
    path: "/auth/2fa/passkeys",
    tag: "passkeys",
    summary: "The user's passkeys and security keys",
    auth: "access",
    responses: { 200: { description: "oldest first", schema: named("PasskeyList", z.object({ passkeys: z.array(PasskeyDoc) })) } },
    errors: [],
  },
  {
    method: "patch",
    path: "/auth/2fa/passkeys/:id",
    tag: "passkeys",
    summary: "Rename a passkey",
    auth: "access",
    params: { id: "the passkey's id" },
    body: renamePasskeySchema,
    responses: { 200: { description: "renamed", schema: named("PasskeyResponse", z.object({ passkey: PasskeyDoc })) } },
    errors: ["NOT_FOUND"],
  },
  {
    method: "post",
    path: "/auth/2fa/passkeys/:id/remove",
    tag: "passkeys",
    summary: "Remove a passkey (password + a code, a backup code or a passkey)",
    description:
      "A 2FA change: every other session and remembered device ends, this one is re-issued. Removing the last factor turns 2FA off (backup codes deleted). " +
      "For `passkey`, get options from POST /auth/2fa/passkeys/proof-options first.",
    auth: "access",
    params: { id: "the passkey's id" },
    body: removePasskeySchema,
    responses: {
      200: {
        description: "removed",
        schema: named("RemovePasskeyResponse", z.object({ message: z.string(), twoFactorEnabled: z.boolean().meta({ description: "false: it was the last factor" }) })),
        setsCookies: SESSION_COOKIES,
      },
    },
    errors: ["NOT_FOUND", ...PROOF_ERRORS],
  },
  {
    method: "post",
    path: "/auth/2fa/passkeys/proof-options",
    tag: "passkeys",
    summary: "Options to confirm a change with a passkey",
    description: "For any body that takes `passkey` as proof (remove a key, disable, backup codes, remove TOTP, password change). Bound to this session; single use.",
    auth: "access",
    responses: { 200: { description: "request options", schema: RequestOptions } },
    errors: ["PASSKEY_NOT_REGISTERED", "TOO_MANY_REQUESTS"],
  },
];
