// The one module that touches speakeasy (unmaintained since 2016): swap it here if needed.
// Pitfalls handled (DESIGN §6b): always encoding 'base32'; window passed as a number; the code
// is validated as exactly six ASCII digits on a string BEFORE speakeasy sees it (its parser
// accepts " 26920" and "26920a"); time in seconds; the secret comes from crypto.randomBytes
// and the otpauth URL is built with otpauthURL so `issuer` is kept.
import crypto from "node:crypto";
import speakeasy from "speakeasy";

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
const SECRET_BYTES = 20; // 160 bits, RFC 4226 §4 recommendation

const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function base32Encode(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** A new 160-bit secret, base32 without padding (what authenticator apps expect). */
export function generateTotpSecret(): string {
  return base32Encode(crypto.randomBytes(SECRET_BYTES));
}

/** Key Uri Format: otpauth://totp/Issuer:email?secret=...&issuer=Issuer&algorithm=SHA1&digits=6&period=30 */
export function buildOtpauthUrl(secret: string, accountName: string, issuer: string): string {
  return speakeasy.otpauthURL({
    secret,
    encoding: "base32",
    label: `${encodeURIComponent(issuer)}:${encodeURIComponent(accountName)}`,
    issuer,
    type: "totp",
    algorithm: "sha1",
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  });
}

export const timeStep = (nowMs: number) => Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);

const SIX_DIGITS = /^[0-9]{6}$/;

/**
 * Returns the RFC 6238 time step the code belongs to (within ±window steps of now), or null.
 * The step is what replay protection stores: a code is only good if its step is newer than
 * the last accepted one.
 */
export function verifyTotp(secret: string, code: string, nowMs: number, window: number): { step: number } | null {
  if (typeof code !== "string" || !SIX_DIGITS.test(code)) return null;
  const result = speakeasy.totp.verifyDelta({
    secret,
    encoding: "base32",
    token: code,
    window: Number(window),
    time: Math.floor(nowMs / 1000),
    step: TOTP_PERIOD_SECONDS,
    digits: TOTP_DIGITS,
  });
  if (!result) return null;
  return { step: timeStep(nowMs) + result.delta };
}

/** The code at a time (for tests, the bench and the CLI; never sent to a client). */
export function generateTotp(secret: string, nowMs: number, digits = TOTP_DIGITS): string {
  return speakeasy.totp({ secret, encoding: "base32", time: Math.floor(nowMs / 1000), step: TOTP_PERIOD_SECONDS, digits });
}

/** RFC 4226 HOTP, exposed so the RFC test vectors can check the library underneath. */
export function generateHotp(secret: string, counter: number, digits = TOTP_DIGITS): string {
  return speakeasy.hotp({ secret, encoding: "base32", counter, digits });
}
