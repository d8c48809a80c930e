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
  const delta = matchingDelta(secret, code, nowMs, window);
  return delta === null ? null : { step: timeStep(nowMs) + delta };
}

/** The offset (in steps, -window..+window) of the step whose code this is, or null. */
function matchingDelta(secret: string, code: string, nowMs: number, window: number): number | null {
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
  return result ? result.delta : null;
}

/** Clock drift is looked for this many steps away from now (DESIGN §5: 2–10 steps, 1–5 minutes). */
export const DRIFT_MIN_STEPS = 2;
export const DRIFT_MAX_STEPS = 10;

/**
 * For a code verifyTotp refused: is it the code of a step DRIFT_MIN_STEPS..DRIFT_MAX_STEPS away
 * (and outside the accepted window)? Then the phone's clock is off by about `steps` periods:
 * driftSeconds is signed, negative when the phone is slow (it shows an older code). This never
 * makes a code acceptable; it only explains the refusal. Checking 21 steps means a random wrong
 * code is taken for drift about once in 50,000 tries: the answer is then a misleading hint, never
 * a pass.
 */
export function findTotpDrift(secret: string, code: string, nowMs: number, window: number): { steps: number; driftSeconds: number } | null {
  const steps = matchingDelta(secret, code, nowMs, DRIFT_MAX_STEPS);
  if (steps === null || Math.abs(steps) < Math.max(DRIFT_MIN_STEPS, Number(window) + 1)) return null;
  return { steps, driftSeconds: steps * TOTP_PERIOD_SECONDS };
}

/** The code at a time (for tests, the bench and the CLI; never sent to a client). */
export function generateTotp(secret: string, nowMs: number, digits = TOTP_DIGITS): string {
  return speakeasy.totp({ secret, encoding: "base32", time: Math.floor(nowMs / 1000), step: TOTP_PERIOD_SECONDS, digits });
}

/** RFC 4226 HOTP, exposed so the RFC test vectors can check the library underneath. */
export function generateHotp(secret: string, counter: number, digits = TOTP_DIGITS): string {
  return speakeasy.hotp({ secret, encoding: "base32", counter, digits });
}
