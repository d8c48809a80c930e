// What a browser sends for passkeys: the JSON forms of a WebAuthn credential as
// @simplewebauthn/browser builds them (RegistrationResponseJSON, AuthenticationResponseJSON).
// Every string is base64url and bounded, so nothing unbounded or undecodable reaches the
// library or the database; a body that does not fit is 400 VALIDATION_FAILED before anything is
// read, stored or counted. (The whole body is capped at 10 kB by express.json anyway.)
import { z } from "zod";
import { passwordSchema, totpCodeSchema } from "../../http/validate";

const base64url = (max: number) => z.string().min(1).max(max).regex(/^[A-Za-z0-9_-]+$/, "must be base64url");

/** WebAuthn: a credential id is at most 1023 bytes (1364 base64url characters). */
const credentialId = base64url(1400);

/** "usb", "nfc", "ble", "internal", "hybrid", "smart-card"... — future values pass, bounded. */
const transports = z.array(z.string().regex(/^[a-z-]{1,32}$/, "must be a transport name")).max(8);

const common = {
  id: credentialId,
  rawId: credentialId,
  type: z.literal("public-key"),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).optional().default({}),
};

/** The id and rawId of a credential are the same base64url string in the JSON forms. */
const sameId = (v: { id: string; rawId: string }) => v.id === v.rawId;
const sameIdMessage = { message: "must equal id", path: ["rawId"] };

export const registrationResponseSchema = z
  .object({
    ...common,
    response: z.object({
      clientDataJSON: base64url(4096),
      attestationObject: base64url(6000),
      transports: transports.optional(),
      publicKeyAlgorithm: z.number().int().optional(),
      publicKey: base64url(2048).optional(),
      authenticatorData: base64url(4096).optional(),
    }),
  })
  .refine(sameId, sameIdMessage)
  .meta({ id: "RegistrationResponseJSON", description: "what @simplewebauthn/browser startRegistration() returns (navigator.credentials.create)" });

export const authenticationResponseSchema = z
  .object({
    ...common,
    response: z.object({
      clientDataJSON: base64url(4096),
      authenticatorData: base64url(4096),
      signature: base64url(1024),
      userHandle: base64url(128).optional(),
    }),
  })
  .refine(sameId, sameIdMessage)
  .meta({ id: "AuthenticationResponseJSON", description: "what @simplewebauthn/browser startAuthentication() returns (navigator.credentials.get)" });

/** A name the user gives a key: trimmed, 1–64 characters, no control characters. */
export const passkeyNameSchema = z
  .string()
  .transform((s) => s.trim())
  .pipe(z.string().min(1, "must not be empty").max(64).regex(/^[^\p{Cc}]*$/u, "must not contain control characters"));

export const addPasskeySchema = z.object({ name: passkeyNameSchema, response: registrationResponseSchema });

export const renamePasskeySchema = z.object({ name: passkeyNameSchema });

const backupCodeSchema = z.string().min(1).max(32);

/** Removing a key: the password AND one other proof — a code, a backup code or a passkey. */
export const removePasskeySchema = z.union([
  z.object({ password: passwordSchema, code: totpCodeSchema, backupCode: z.undefined().optional(), passkey: z.undefined().optional() }),
  z.object({ password: passwordSchema, backupCode: backupCodeSchema, code: z.undefined().optional(), passkey: z.undefined().optional() }),
  z.object({ password: passwordSchema, passkey: authenticationResponseSchema, code: z.undefined().optional(), backupCode: z.undefined().optional() }),
]);

export type RegistrationResponseBody = z.infer<typeof registrationResponseSchema>;
export type AuthenticationResponseBody = z.infer<typeof authenticationResponseSchema>;

/** The API's view of a passkey: never the key, the credential id or the counter. */
export interface PublicPasskey {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  deviceType: string;
  backedUp: boolean;
  transports: string[];
  /** a discoverable credential (credProps at registration): it can sign in without a password */
  signInWithoutPassword: boolean;
}

/** POST /auth/passkey/login: the browser's assertion for the challenge of POST /auth/passkey/options. */
export const passkeyLoginSchema = z.object({ response: authenticationResponseSchema });
