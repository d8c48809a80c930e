// The one module that imports @simplewebauthn/server (14.x: engines node >= 20, so Node 20 and 24;
// the same major as @simplewebauthn/browser in the SPA). It applies our policy and turns the
// library's answers into outcomes the rest of the code can act on. Swap the library here only.
//
// Policy: user verification required (a passkey is a second factor only when the authenticator
// checked a PIN or a biometric — else it is just "something you have" twice with the password
// being the only knowledge); attestation "none" (we do not restrict makes and models, so a
// certificate chain would be checked against nothing); ES256 / EdDSA / RS256 only; the RP ID and
// the exact origins from config (WEBAUTHN_RP_ID, WEBAUTHN_ORIGINS); a signature counter that
// does not move forward is refused (counterWentBackwards).
//
// Pitfalls of @simplewebauthn/server 14.0.3, verified against its source (script/):
//  - generateRegistrationOptions / generateAuthenticationOptions default userVerification to
//    "preferred": a browser may then skip the PIN. Always pass "required" in the options AND
//    requireUserVerification: true when verifying (the library's default is true today, but the
//    options and the check must agree; we pass both explicitly).
//  - generateRegistrationOptions invents a random userID when none is given: every registration
//    would then look like a new account to the authenticator (discoverable credentials pile up).
//    Pass a stable user handle (our user id bytes — never the email: the handle is stored on the
//    authenticator and must hold no personal data).
//  - supportedAlgorithmIDs defaults to a list that grows ML-DSA-44 when the runtime supports
//    post-quantum WebCrypto (Node 24 may, Node 20 does not): the same code would then offer
//    different algorithms per Node version. Pass one fixed list to BOTH generate and verify.
//  - Every verification failure is a thrown plain Error (wrong challenge, origin, RP ID, flags,
//    malformed base64/JSON/CBOR); only a bad signature/attestation returns {verified: false}.
//    Nothing distinguishes "malformed" from "wrong" but the message text, which is no API. So we
//    decode the parts ourselves first (inspect*): malformed input is our VALIDATION_FAILED, and
//    the reasons the API reports (challenge, user_verification, counter_rollback) come from our
//    own checks, not from parsing the library's messages. Never let its Error reach the client.
//  - verifyAuthenticationResponse never compares response.id with credential.id, and never looks
//    at userHandle: the caller must load the credential BY response.id AND the user's id (a
//    foreign credential is then simply unknown), and must not trust userHandle.
//  - Its counter rule throws an Error like any other failure, so a cloned authenticator is
//    indistinguishable from a typo. We give the library counter 0 (its check then never fires)
//    and apply the rule ourselves AFTER the signature verified (a forged response must not be
//    able to raise a "counter rollback" alarm): refused when either counter is non-zero and the
//    new one is not greater than the stored one. Both 0 is allowed: synced passkeys (iCloud,
//    Google) and many security keys never count.
//  - Registration: a response carries whatever attestation format the authenticator chose; with
//    attestation "none" requested, browsers send fmt "none". The library still verifies any other
//    format it receives; with no root certificates configured that proves nothing about the make,
//    so we store only what the attested credential data says (key, id, counter, flags, AAGUID).
//  - The challenge comparison is a plain string equality on the base64url value in
//    clientDataJSON: store the exact string the options returned.
//  - response.response.transports is copied into registrationInfo unchecked (client strings):
//    bound them in zod before they reach the database.
//  - It uses globalThis.crypto (WebCrypto): present in Node >= 20 and in Jest's node environment.
import crypto from "node:crypto";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import type { WebAuthnConfig } from "../../config";

// "@simplewebauthn/server/helpers" is a subpath export, which this project's TypeScript resolution
// (moduleResolution node) cannot see: its types are taken from the file the export points to.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const helpers: typeof import("@simplewebauthn/server/script/helpers/index") = require("@simplewebauthn/server/helpers");

export type { AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON };

/** COSE algorithms we accept: EdDSA, ES256, RS256 — fixed, the same for options and verification. */
export const SUPPORTED_ALGORITHMS = [-8, -7, -257];

/** How long the browser may take (ms); the stored challenge lives as long (see CHALLENGE_TTL_MS). */
export const CHALLENGE_TTL_MS = 5 * 60 * 1000;

/** Why a response was refused; absent when the library refused it for a reason we do not name. */
export type PasskeyRefusalReason = "user_verification" | "counter_rollback" | "unknown_credential" | "challenge";

export type Refused = { ok: false; reason?: PasskeyRefusalReason; malformed?: false };
/** The response cannot be decoded at all: a client error (400 VALIDATION_FAILED), never counted. */
export type Malformed = { ok: false; malformed: true; message: string };

export interface CredentialRef {
  /** base64url, as the browser sends it */
  credentialId: string;
  transports: string[];
}

export interface NewCredential {
  credentialId: string;
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
  deviceType: "singleDevice" | "multiDevice";
  backedUp: boolean;
  aaguid: string;
  /** credProps.rk as the browser reported it; null when it did not say */
  discoverable: boolean | null;
}

export interface StoredCredential {
  credentialId: string;
  publicKey: Uint8Array;
  counter: number | bigint;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

const toTransports = (list: string[]) => list as AuthenticatorTransport[];

/**
 * The RFC 8809/WebAuthn §6.1.1 rule: a counter that does not increase means two copies of the
 * key exist (or a replayed assertion). Both zero = an authenticator without a counter: allowed.
 */
export function counterWentBackwards(stored: number | bigint, received: number): boolean {
  const old = BigInt(stored);
  const now = BigInt(received);
  return (now > 0n || old > 0n) && now <= old;
}

interface ClientData {
  type: string;
  challenge: string;
  origin: string;
}

/** clientDataJSON decoded by us (see the pitfalls): null when it is not the JSON object WebAuthn defines. */
function inspectClientData(b64: unknown): ClientData | null {
  if (typeof b64 !== "string" || !B64URL.test(b64)) return null;
  try {
    const parsed = JSON.parse(Buffer.from(b64, "base64url").toString("utf8")) as unknown;
    if (!parsed || typeof parsed !== "object") return null;
    const { type, challenge, origin } = parsed as Record<string, unknown>;
    if (typeof type !== "string" || typeof challenge !== "string" || typeof origin !== "string") return null;
    return { type, challenge, origin };
  } catch {
    return null;
  }
}

interface AuthDataHead {
  up: boolean;
  uv: boolean;
  counter: number;
}

/** The fixed 37-byte head of authenticatorData: rpIdHash(32) flags(1) signCount(4, big-endian). */
function inspectAuthData(bytes: Buffer): AuthDataHead | null {
  if (bytes.length < 37) return null;
  const flags = bytes[32];
  return { up: (flags & 0x01) !== 0, uv: (flags & 0x04) !== 0, counter: bytes.readUInt32BE(33) };
}

/**
 * The authData inside an attestationObject (a CBOR map {fmt, attStmt, authData}), decoded with the
 * library's own CBOR helpers (the "./helpers" export: the same decoder its verification uses).
 */
function authDataOfAttestation(b64: string): Buffer | null {
  if (!B64URL.test(b64)) return null;
  try {
    const authData = helpers.decodeAttestationObject(new Uint8Array(Buffer.from(b64, "base64url"))).get("authData");
    return authData instanceof Uint8Array ? Buffer.from(authData) : null;
  } catch {
    return null;
  }
}

function malformed(message: string): Malformed {
  return { ok: false, malformed: true, message };
}

export async function registrationOptions(
  cfg: WebAuthnConfig,
  user: { id: string; email: string },
  existing: CredentialRef[],
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: cfg.rpName,
    rpID: cfg.rpId,
    userName: user.email,
    userDisplayName: user.email,
    userID: new Uint8Array(Buffer.from(user.id, "utf8")),
    timeout: CHALLENGE_TTL_MS,
    attestationType: "none",
    // the same authenticator twice is refused by the browser before the user is even asked
    excludeCredentials: existing.map((c) => ({ id: c.credentialId, transports: toTransports(c.transports) })),
    authenticatorSelection: { residentKey: "preferred", userVerification: "required" },
    // credProps: the browser tells whether it made a discoverable credential (one that can sign
    // in without a password, issue 20); stored as Passkey.discoverable
    extensions: { credProps: true },
    supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
  });
}

export async function authenticationOptions(cfg: WebAuthnConfig, allow: CredentialRef[]): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: cfg.rpId,
    allowCredentials: allow.map((c) => ({ id: c.credentialId, transports: toTransports(c.transports) })),
    userVerification: "required",
    timeout: CHALLENGE_TTL_MS,
  });
}

/** The challenge a response claims to answer (to find the stored one), or null when unreadable. */
export function challengeOf(response: { response: { clientDataJSON: string } }): string | null {
  return inspectClientData(response.response.clientDataJSON)?.challenge ?? null;
}

/** Decodes what a registration response must contain; used before anything is stored or spent. */
export function checkRegistrationShape(response: RegistrationResponseJSON): Malformed | null {
  if (!inspectClientData(response.response.clientDataJSON)) return malformed("response.clientDataJSON is not a WebAuthn client data object");
  const authData = authDataOfAttestation(response.response.attestationObject);
  if (!authData || !inspectAuthData(authData)) return malformed("response.attestationObject holds no authenticator data");
  return null;
}

/** Decodes what an authentication response must contain. */
export function checkAuthenticationShape(response: AuthenticationResponseJSON): Malformed | null {
  if (!inspectClientData(response.response.clientDataJSON)) return malformed("response.clientDataJSON is not a WebAuthn client data object");
  if (!inspectAuthData(Buffer.from(response.response.authenticatorData, "base64url"))) return malformed("response.authenticatorData is too short");
  return null;
}

export async function verifyRegistration(
  cfg: WebAuthnConfig,
  response: RegistrationResponseJSON,
  expectedChallenge: string,
): Promise<{ ok: true; credential: NewCredential } | Refused | Malformed> {
  const shape = checkRegistrationShape(response);
  if (shape) return shape;
  const clientData = inspectClientData(response.response.clientDataJSON)!;
  if (!timingSafeEqualString(clientData.challenge, expectedChallenge)) return { ok: false, reason: "challenge" };
  const head = inspectAuthData(authDataOfAttestation(response.response.attestationObject)!)!;
  if (!head.uv) return { ok: false, reason: "user_verification" };
  try {
    const result = await verifyRegistrationResponse({
      response,
      expectedChallenge,
      expectedOrigin: cfg.origins,
      expectedRPID: cfg.rpId,
      requireUserPresence: true,
      requireUserVerification: true,
      supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
    });
    if (!result.verified) return { ok: false };
    const info = result.registrationInfo;
    return {
      ok: true,
      credential: {
        credentialId: info.credential.id,
        publicKey: info.credential.publicKey,
        counter: info.credential.counter,
        transports: response.response.transports ?? [],
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
        aaguid: info.aaguid,
        discoverable: discoverableOf(response),
      },
    };
  } catch {
    // wrong origin / RP ID, unsupported algorithm, attestation that does not verify, bad CBOR
    return { ok: false };
  }
}

export async function verifyAuthentication(
  cfg: WebAuthnConfig,
  response: AuthenticationResponseJSON,
  expectedChallenge: string,
  credential: StoredCredential,
): Promise<{ ok: true; newCounter: number } | Refused | Malformed> {
  const shape = checkAuthenticationShape(response);
  if (shape) return shape;
  if (response.id !== credential.credentialId) return { ok: false, reason: "unknown_credential" };
  const clientData = inspectClientData(response.response.clientDataJSON)!;
  if (!timingSafeEqualString(clientData.challenge, expectedChallenge)) return { ok: false, reason: "challenge" };
  const head = inspectAuthData(Buffer.from(response.response.authenticatorData, "base64url"))!;
  try {
    // Without the UV flag the signature is still checked first (requireUserVerification off for
    // this call only) and "user_verification" is said only of a response that verified: a forged
    // one must not learn anything (at the passwordless sign-in, not even that the credential id
    // exists — passkey-login.ts). It is refused either way.
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge,
      expectedOrigin: cfg.origins,
      expectedRPID: cfg.rpId,
      requireUserVerification: head.uv,
      // counter 0: the library's own counter check never fires; ours runs below (see the pitfalls)
      credential: { id: credential.credentialId, publicKey: new Uint8Array(credential.publicKey), counter: 0 },
    });
    if (!result.verified) return { ok: false };
    if (!head.uv || !result.authenticationInfo.userVerified) return { ok: false, reason: "user_verification" };
    const newCounter = result.authenticationInfo.newCounter;
    if (counterWentBackwards(credential.counter, newCounter)) return { ok: false, reason: "counter_rollback" };
    return { ok: true, newCounter };
  } catch {
    return { ok: false };
  }
}

/** credProps.rk of a registration response: true/false as the browser said, null when absent. */
function discoverableOf(response: RegistrationResponseJSON): boolean | null {
  const credProps = (response.clientExtensionResults as { credProps?: { rk?: unknown } } | undefined)?.credProps;
  return typeof credProps?.rk === "boolean" ? credProps.rk : null;
}

/** The user handle of an assertion as our user id (registration's userID is the id's UTF-8 bytes); null when absent. */
export function userHandleOf(response: AuthenticationResponseJSON): string | null {
  const handle = response.response.userHandle;
  return typeof handle === "string" && handle.length > 0 ? Buffer.from(handle, "base64url").toString("utf8") : null;
}

function timingSafeEqualString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
