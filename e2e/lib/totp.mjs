// The test's own RFC 6238 / RFC 4226 implementation (node:crypto HMAC), deliberately independent
// of the backend's speakeasy wrapper: the browser journey reads the manual key off the page and
// computes codes the way an authenticator app would.
import crypto from "node:crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 → bytes. Spaces, dashes and padding are ignored; case-insensitive. */
export function base32Decode(input) {
  const clean = input.replace(/[\s=-]/g, "").toUpperCase();
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const idx = ALPHABET.indexOf(ch);
    if (idx < 0) throw new Error(`invalid base32 character ${JSON.stringify(ch)}`);
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 4226 HOTP with dynamic truncation. */
export function hotp(key, counter, { digits = 6, algorithm = "sha1" } = {}) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = crypto.createHmac(algorithm, key).update(msg).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(bin).padStart(digits, "0");
}

export const PERIOD = 30;
export const stepAt = (ms = Date.now()) => Math.floor(ms / 1000 / PERIOD);

/** RFC 6238 TOTP for a time step; the key is raw bytes or a base32 string. */
export function totpForStep(key, step, opts) {
  return hotp(typeof key === "string" ? base32Decode(key) : key, step, opts);
}

export function totp(key, ms = Date.now(), opts) {
  return totpForStep(key, stepAt(ms), opts);
}

/**
 * The browser tests' authenticator app: hands out codes of steps the server has not accepted yet
 * (replay protection refuses a step twice), waiting for the next 30-s step when it must.
 */
export class CodeSource {
  lastUsedStep = null;
  constructor(secret) {
    this.secret = secret;
  }
  async next() {
    const want = this.lastUsedStep === null ? stepAt() : Math.max(stepAt(), this.lastUsedStep + 1);
    while (want > stepAt() + 1) {
      // `want` is two steps ahead: wait until the clock reaches want-1 (then want is within ±1).
      const msToNextStep = 30_000 - (Date.now() % 30_000) + 50;
      console.log(`# waiting ${Math.ceil(msToNextStep / 1000)} s for the next TOTP step (step ${want - 1} was already used)`);
      await new Promise((r) => setTimeout(r, msToNextStep));
    }
    return { code: totpForStep(this.secret, want), step: want };
  }
  /** A code that the caller will have accepted: its step is marked used at once. */
  async take() {
    const { code, step } = await this.next();
    this.used(step);
    return code;
  }
  used(step) {
    this.lastUsedStep = Math.max(this.lastUsedStep ?? step, step);
  }
  /** Six digits that are not the code of any step near now. */
  wrong() {
    // ±10 steps: a code of a step 2-10 away would be answered as clock drift, not as wrong
    const near = new Set(Array.from({ length: 21 }, (_, i) => totpForStep(this.secret, stepAt() + i - 10)));
    for (const candidate of ["000000", "111111", "123456", "999999", "424242"]) if (!near.has(candidate)) return candidate;
    throw new Error("unreachable");
  }
}
