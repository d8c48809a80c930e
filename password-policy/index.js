// The password rule (DESIGN §6 rule 14, NIST SP 800-63B §5.1.1.2), in ONE module that both the
// API (register: the rule that counts) and the SPA (register page: a live hint) import, so the
// hint and the server's verdict cannot drift apart.
//
// - 12 to 1024 characters (Unicode code points), counted after NFKC normalisation;
// - NFKC before hashing and before verifying: "é" typed as one code point or as "e" + U+0301,
//   or a full-width "Ａ", is the same password whatever keyboard or OS produced it;
// - refused when zxcvbn-ts scores it below 3 ("safely unguessable" starts at 3), with the email
//   and its parts given to zxcvbn as user inputs;
// - refused when it contains the email's local part (case-insensitive).
//
// Plain CommonJS with hand-written types (index.d.ts), no build step: the backend is CommonJS
// (node, ts-jest), the SPA's bundler (esbuild) and its test runner import CommonJS too.
// The dictionaries (~1.6 MB) are only loaded on the first check, so importing the constants or
// normalizePassword costs nothing at run time (a bundler still bundles them: the SPA imports
// this module lazily and the numbers from ./limits).
"use strict";

const { PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_SCORE } = require("./limits");
/** Local parts shorter than this ("jo@…") are too short to refuse every password containing them. */
const MIN_LOCAL_PART_LENGTH = 3;

/**
 * zxcvbn's matching is superlinear in the length, and it runs synchronously (on the API's event
 * loop): measured on a 2-core box, 256 random characters took ~1.9 s with the defaults. 64
 * characters and at most 8 l33t substitutions keep the worst input seen at ~45 ms. Only the
 * first 64 characters are scored; a password that long whose first 64 characters already
 * score 3 is not weaker for the rest.
 */
const ZXCVBN_OPTIONS = { maxLength: 64, l33tMaxSubstitutions: 8 };

/** @param {string} password */
function normalizePassword(password) {
  return password.normalize("NFKC");
}

/** Code points, not UTF-16 units: an emoji is one character (NIST SP 800-63B). */
function passwordLength(password) {
  let n = 0;
  // eslint-disable-next-line no-unused-vars
  for (const _ of normalizePassword(password)) n++;
  return n;
}

let zxcvbn; // built on first use: loading the dictionaries takes ~0.25 s and ~1.6 MB
function estimator() {
  if (!zxcvbn) {
    const { ZxcvbnFactory } = require("@zxcvbn-ts/core");
    const common = require("@zxcvbn-ts/language-common");
    const en = require("@zxcvbn-ts/language-en");
    zxcvbn = new ZxcvbnFactory({
      ...ZXCVBN_OPTIONS,
      translations: en.translations,
      graphs: common.adjacencyGraphs,
      dictionary: { ...common.dictionary, ...en.dictionary },
    });
  }
  return zxcvbn;
}

/** "Alice.Smith+shop@Example.com" → ["alice.smith+shop", "alice.smith"] (each ≥ 3 characters). */
function localParts(email) {
  const local = normalizePassword(String(email ?? "")).trim().toLowerCase().split("@")[0] ?? "";
  const parts = [local, local.split("+")[0]];
  return [...new Set(parts)].filter((p) => p.length >= MIN_LOCAL_PART_LENGTH);
}

/** What zxcvbn should treat as personal data: the email, its local part and the words in it. */
function userInputs(email) {
  const normalized = normalizePassword(String(email ?? "")).trim().toLowerCase();
  if (!normalized) return [];
  const words = localParts(normalized).flatMap((p) => p.split(/[^\p{L}\p{N}]+/u));
  return [...new Set([normalized, ...localParts(normalized), ...words])].filter((w) => w.length >= MIN_LOCAL_PART_LENGTH);
}

const sentence = (text) => text.trim().replace(/[.!]+$/, "");

/**
 * Checks a new password against the rule. Messages read after the field name ("Password …")
 * and have no final full stop, like the API's other validation messages.
 *
 * @param {string} password as typed (it is normalised here)
 * @param {string} [email] the account's email
 * @returns {import("./index").PasswordCheck}
 */
function checkPassword(password, email) {
  const normalized = normalizePassword(String(password ?? ""));
  const length = passwordLength(normalized);
  if (length < PASSWORD_MIN_LENGTH) {
    return { ok: false, reason: "too_short", score: null, message: `must be at least ${PASSWORD_MIN_LENGTH} characters` };
  }
  if (length > PASSWORD_MAX_LENGTH) {
    return { ok: false, reason: "too_long", score: null, message: `must be at most ${PASSWORD_MAX_LENGTH} characters` };
  }
  const lower = normalized.toLowerCase();
  if (localParts(email).some((part) => lower.includes(part))) {
    return { ok: false, reason: "contains_email", score: null, message: "must not contain your email address or the name before the @" };
  }
  const result = estimator().check(normalized, userInputs(email));
  if (result.score < PASSWORD_MIN_SCORE) {
    // "Password is too easy to guess. This is a commonly used password. Add more words that are less common"
    const advice = [result.feedback.warning, ...result.feedback.suggestions].filter(Boolean).map(sentence);
    if (advice.length === 0) advice.push("Try a passphrase of four or more unrelated words");
    return { ok: false, reason: "weak", score: result.score, message: ["is too easy to guess", ...advice].join(". ") };
  }
  return { ok: true, reason: null, score: result.score, message: null };
}

module.exports = {
  PASSWORD_MIN_LENGTH,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_SCORE,
  ZXCVBN_OPTIONS,
  normalizePassword,
  passwordLength,
  checkPassword,
};
