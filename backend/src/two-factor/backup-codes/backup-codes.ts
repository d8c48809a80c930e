// Backup codes: 10 single-use codes "xxxx-xxxx" from an alphabet without look-alikes
// (no 0/o, 1/l/i). Stored as HMAC-SHA256 under a server key, so a database leak alone does
// not reveal them (and 40 bits of entropy would be brute-forceable as a plain hash).
import crypto from "node:crypto";

export const BACKUP_CODE_COUNT = 10;
const ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"; // 31 symbols
const GROUP = 4;

export function generateBackupCodes(count = BACKUP_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    let raw = "";
    for (let i = 0; i < GROUP * 2; i++) raw += ALPHABET[crypto.randomInt(ALPHABET.length)];
    return `${raw.slice(0, GROUP)}-${raw.slice(GROUP)}`;
  });
}

/** Accepts what people type: any case, with or without the dash or spaces. null if malformed. */
export function normalizeBackupCode(input: string): string | null {
  const compact = input.toLowerCase().replace(/[\s-]/g, "");
  if (compact.length !== GROUP * 2 || [...compact].some((ch) => !ALPHABET.includes(ch))) return null;
  return `${compact.slice(0, GROUP)}-${compact.slice(GROUP)}`;
}

export function hashBackupCode(key: string, normalizedCode: string): string {
  return crypto.createHmac("sha256", key).update(normalizedCode).digest("hex");
}
