export { PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_SCORE } from "./limits";

export interface PasswordCheck {
  ok: boolean;
  /** why it was refused; null when ok */
  reason: "too_short" | "too_long" | "contains_email" | "weak" | null;
  /** zxcvbn score 0..4 (null when refused before scoring) */
  score: number | null;
  /** reads after the field name ("Password …"), no final full stop; null when ok */
  message: string | null;
}

/** Options given to zxcvbn-ts on top of the dictionaries (how much of the password is scored). */
export declare const ZXCVBN_OPTIONS: { maxLength: number; l33tMaxSubstitutions: number };

/** NFKC: the form a password is hashed and verified in. */
export declare function normalizePassword(password: string): string;
/** Length in Unicode code points after NFKC. */
export declare function passwordLength(password: string): number;
/** The whole rule (length, email local part, zxcvbn score ≥ 3). */
export declare function checkPassword(password: string, email?: string): PasswordCheck;
