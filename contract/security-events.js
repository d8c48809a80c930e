// Every security event type (the Prisma enum AuditEventType — a backend test keeps the two lists
// equal) with the words a user reads in the security activity, and the words for how a login was
// verified (sessions list, activity, emails). The SPA refines a line with the event's detail
// (frontend/src/app/features/profile/security-event-text.ts); the words themselves live here.
"use strict";

/** text: the activity line. warning: worth a second look (shown highlighted). */
const SECURITY_EVENTS = {
  REGISTERED: { text: "Account created" },
  LOGIN_SUCCESS: { text: "Logged in" },
  LOGIN_FAILURE: { text: "Failed login attempt (wrong password)", warning: true },
  LOGOUT: { text: "Logged out" },
  TWOFA_SETUP_STARTED: { text: "Two-factor setup started" },
  TWOFA_ENABLED: {
    text: "Two-factor authentication turned on",
    // an authenticator app added while a passkey already kept 2FA on (enable with firstFactor false)
    variants: [{ when: { firstFactor: false }, text: "Authenticator app added (two-factor authentication was already on)" }],
  },
  TWOFA_DISABLED: { text: "Two-factor authentication turned off", warning: true },
  TWOFA_VERIFY_SUCCESS: { text: "Authentication code accepted at login" },
  TWOFA_VERIFY_FAILURE: { text: "Wrong authentication code entered at login", warning: true },
  TOTP_REPLAY: {
    text: "An already used code was tried again — if this wasn\u2019t you, change your password",
    warning: true,
  },
  BACKUP_CODE_USED: { text: "A backup code was used to log in" },
  BACKUP_CODES_REGENERATED: { text: "New backup codes were created (the old ones no longer work)" },
  TWOFA_LOCKED: { text: "Account locked for a while after too many wrong codes or passwords", warning: true },
  PASSWORD_PROOF_FAILURE: { text: "Wrong password given to confirm a security change", warning: true },
  SESSIONS_REVOKED: { text: "Logged out on every device" },
  SESSION_REVOKED: { text: "A session was signed out from your sessions list" },
  REFRESH_TOKEN_REUSE: {
    text: "An old sign-in token of a session was used again, so that session was ended — if you didn\u2019t expect this, change your password",
    warning: true,
  },
  TRUSTED_DEVICE_ADDED: { text: "This browser was remembered for 30 days (it will not ask for a code)" },
  TRUSTED_DEVICE_REMOVED: { text: "A remembered device was forgotten (it will ask for a code again)" },
  PASSWORD_CHANGED: { text: "Password changed (every other session was signed out)" },
  PASSWORD_RESET_REQUESTED: { text: "A password reset link was sent to your email" },
  PASSWORD_RESET: { text: "Password reset with an emailed link (every session was signed out)" },
  ADMIN_TWOFA_RESET: { text: "An administrator reset your two-factor authentication", warning: true },
  ACCOUNT_UNLOCKED: {
    text: "An administrator unlocked code entry for your account",
    // detail says which lock was lifted (code entry, password sign-in, or both)
    variants: [
      { when: { codeEntry: true, passwordLogin: true }, text: "An administrator unlocked code entry and password sign-in for your account" },
      { when: { codeEntry: false, passwordLogin: true }, text: "An administrator unlocked password sign-in for your account" },
    ],
  },
  ENROLMENT_LINK_SENT: { text: "A new link to set up two-factor authentication was emailed to you" },
  TOTP_REMOVED: { text: "Authenticator app removed", warning: true },
  PASSKEY_ADDED: {
    text: "Passkey or security key added",
    // the first factor: no TWOFA_ENABLED event is written beside it, so this line says it
    variants: [{ when: { firstFactor: true }, text: "Passkey or security key added (two-factor authentication turned on)" }],
  },
  PASSKEY_RENAMED: { text: "Passkey or security key renamed" },
  PASSKEY_REMOVED: { text: "Passkey or security key removed", warning: true },
  PASSKEY_COUNTER_ROLLBACK: {
    text: "A passkey or security key answered with an old signature counter and was refused — it may have been cloned",
    warning: true,
  },
  LOGIN_LOCKED: {
    text: "Password sign-in paused for 15 minutes after too many wrong passwords (browsers you signed in on before are not affected)",
    warning: true,
  },
};
for (const entry of Object.values(SECURITY_EVENTS)) {
  for (const variant of entry.variants ?? []) {
    Object.freeze(variant.when);
    Object.freeze(variant);
  }
  if (entry.variants) Object.freeze(entry.variants);
  Object.freeze(entry);
}
Object.freeze(SECURITY_EVENTS);

const SECURITY_EVENT_TYPES = Object.freeze(Object.keys(SECURITY_EVENTS));

/**
 * How a login was verified (Session.authMethod, LOGIN_SUCCESS detail.method). label: sessions list
 * and activity. signedInWith: the emails' "signed in with …".
 */
const AUTH_METHODS = {
  password: { label: "Password", signedInWith: "your password" },
  totp: { label: "Authenticator code", signedInWith: "your password and an authenticator code" },
  backup_code: { label: "Backup code", signedInWith: "your password and a backup code" },
  trusted_device: { label: "Remembered device", signedInWith: "your password on a remembered device" },
  passkey: { label: "Passkey", signedInWith: "your password and a passkey or security key" },
};
for (const entry of Object.values(AUTH_METHODS)) Object.freeze(entry);
Object.freeze(AUTH_METHODS);

/** Where a proof was given (`detail.during` of proofs on management paths; absent at login). */
const PROOF_CONTEXTS = Object.freeze({
  enable: "while turning on two-factor authentication",
  disable: "while turning off two-factor authentication",
  backup_codes: "while creating new backup codes",
  reauth: "to confirm a security change",
  admin_action: "to confirm an administrator action",
  totp_remove: "while removing the authenticator app",
  passkey_remove: "while removing a passkey or security key",
  password_change: "while changing the password",
});

function humanise(code, fallback) {
  const words = String(code ?? "").toLowerCase().replace(/_+/g, " ").trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : fallback;
}

/**
 * The activity words of an event type; an unknown (newer) type is humanised rather than hidden.
 * With the event's detail, a variant whose `when` fields all equal the detail's wins (TWOFA_ENABLED
 * {firstFactor: false} is an authenticator app added, not 2FA turned on).
 */
function securityEventText(type, detail) {
  if (!Object.prototype.hasOwnProperty.call(SECURITY_EVENTS, type)) return humanise(type, "Security event");
  const entry = SECURITY_EVENTS[type];
  if (detail && typeof detail === "object" && entry.variants) {
    const variant = entry.variants.find((v) => Object.entries(v.when).every(([k, value]) => detail[k] === value));
    if (variant) return variant.text;
  }
  return entry.text;
}

function isWarningEventType(type) {
  return Object.prototype.hasOwnProperty.call(SECURITY_EVENTS, type) && SECURITY_EVENTS[type].warning === true;
}

/** "Authenticator code" for `totp`; unknown methods are humanised. */
function authMethodLabel(method) {
  if (!method) return "Unknown";
  return Object.prototype.hasOwnProperty.call(AUTH_METHODS, method) ? AUTH_METHODS[method].label : humanise(method, "Unknown");
}

module.exports = {
  SECURITY_EVENTS,
  SECURITY_EVENT_TYPES,
  AUTH_METHODS,
  PROOF_CONTEXTS,
  humanise,
  securityEventText,
  isWarningEventType,
  authMethodLabel,
};
