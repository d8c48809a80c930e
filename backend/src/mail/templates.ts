// Security emails: plain text and HTML from one description per template. Every message says
// when, from which device and IP, and links to the security activity. No secrets: the only
// link with a credential in it is the password-reset link, whose token the worker decrypts at
// send time (./outbox.ts keeps it encrypted and wipes it once sent).
import { AUTH_METHODS } from "@twofa/contract";
import { describeDevice } from "../sessions/device-label";

/** What every security email tells: when, and from where (the request that caused the event). */
export interface EventData {
  /** ISO time of the event (the injected clock) */
  at: string;
  ip: string | null;
  userAgent: string | null;
}

export interface TemplateData {
  /** firstFactor false: an authenticator app added while 2FA was already on (passkeys); absent in older rows = first */
  twofa_enabled: EventData & { firstFactor?: boolean };
  /** the authenticator app removed while passkeys keep 2FA on (the last factor sends twofa_disabled) */
  totp_removed: EventData;
  twofa_disabled: EventData;
  backup_codes_regenerated: EventData;
  backup_code_used: EventData & { remaining: number };
  trusted_device_added: EventData;
  new_device_sign_in: EventData & { method: string };
  account_locked: EventData & { until: string };
  /** the per-email password lock engaged (security/login-budget.ts) */
  login_locked: EventData & { until: string };
  refresh_token_reuse: EventData;
  password_changed: EventData;
  /** `token` is filled in by the worker from the encrypted copy; never stored in clear */
  password_reset_requested: EventData & { expiresAt: string; token?: string };
  password_reset: EventData;
  /** `token` (the re-enrolment link, DESIGN §6 rule 20) is filled in by the worker from the encrypted copy */
  admin_twofa_reset: EventData & { reason: string; linkExpiresAt?: string; token?: string };
  /** "send the link again" after an admin reset; `token` as above */
  twofa_enrolment_link: EventData & { expiresAt: string; token?: string };
  /** which locks were lifted; absent in older rows = code entry */
  account_unlocked: EventData & { codeEntry?: boolean; passwordLogin?: boolean };
  /** firstFactor: this key turned two-factor authentication on */
  passkey_added: EventData & { name: string; firstFactor: boolean };
  /** lastFactor: it was the last second factor, so two-factor authentication is now off */
  passkey_removed: EventData & { name: string; lastFactor: boolean };
}

export type MailTemplate = keyof TemplateData;

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

interface Description {
  subject: string;
  heading: string;
  paragraphs: string[];
  /** a button/link other than the security activity */
  action?: { label: string; url: string };
  /** what to do if it was not you; false for mails that need no such line */
  notYou?: string | false;
}

/** "your password and an authenticator code": the words for a login method are in @twofa/contract. */
const METHOD_WORDS: Record<string, string> = Object.fromEntries(Object.entries(AUTH_METHODS).map(([method, d]) => [method, d.signedInWith]));

const formatTime = (iso: string) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toUTCString().replace("GMT", "UTC");
};

/** The re-enrolment link: the token in the fragment, so it never reaches a server log or a Referer. */
const enrolmentUrl = (appUrl: string, token: string) => `${appUrl}/enrol#token=${encodeURIComponent(token)}`;

const CHANGE_PASSWORD = "If this wasn't you, change your password now and review your sessions.";

type Describers = { [T in MailTemplate]: (data: TemplateData[T], appUrl: string) => Description };

const DESCRIBE: Describers = {
  twofa_enabled: (d) =>
    d.firstFactor === false
      ? {
          // 2FA was already on (a passkey): "turned on" would be wrong, and alarming in the wrong way
          subject: "An authenticator app was added to your account",
          heading: "New authenticator app",
          paragraphs: [
            "An authenticator app was added to your account. Two-factor authentication was already on: its codes can now be used as the second step when signing in and to confirm security changes, besides your passkeys or security keys and your backup codes. Every other session was signed out.",
          ],
          notYou: "If this wasn't you, someone has your password and a session: remove the authenticator app on your profile page, change your password and sign out other sessions.",
        }
      : {
          subject: "Two-factor authentication was turned on",
          heading: "Two-factor authentication is on",
          paragraphs: ["Two-factor authentication was turned on for your account. From now on, signing in needs your password and a code from your authenticator app."],
          notYou: "If this wasn't you, someone else has your password: reset it now and contact your administrator.",
        },
  totp_removed: () => ({
    subject: "The authenticator app was removed from your account",
    heading: "The authenticator app was removed",
    paragraphs: [
      "The authenticator app was removed from your account: its codes no longer work. Two-factor authentication stays on with your passkeys or security keys and your backup codes. Every other session was signed out.",
    ],
    notYou: "If this wasn't you, someone has your password and a second factor: reset your password now, review your passkeys and sign out other sessions.",
  }),
  twofa_disabled: () => ({
    subject: "Two-factor authentication was turned off",
    heading: "Two-factor authentication is off",
    paragraphs: ["Two-factor authentication was turned off for your account. Signing in now needs only your password, and your backup codes no longer work."],
    notYou: "If this wasn't you, reset your password now and turn two-factor authentication back on.",
  }),
  backup_codes_regenerated: () => ({
    subject: "New backup codes were created",
    heading: "New backup codes",
    paragraphs: ["A new set of backup codes was created for your account. The previous codes no longer work."],
    notYou: CHANGE_PASSWORD,
  }),
  backup_code_used: (d) => ({
    subject: d.remaining <= 3 ? `A backup code was used — only ${d.remaining} left` : "A backup code was used",
    heading: "A backup code was used",
    paragraphs: [
      `One of your backup codes was used to sign in or to confirm a change. You have ${d.remaining} unused backup code${d.remaining === 1 ? "" : "s"} left.`,
      ...(d.remaining <= 3 ? ["You are running low: create new backup codes on your profile page before you run out (the unused ones will be replaced)."] : []),
    ],
    notYou: "If this wasn't you, someone has your password and one of your backup codes: reset your password and create new backup codes now.",
  }),
  trusted_device_added: () => ({
    subject: "A device was remembered for your account",
    heading: "New remembered device",
    paragraphs: ["A browser was remembered for 30 days: signing in there will not ask for an authenticator code."],
    notYou: "If this wasn't you, forget the device on your profile page and change your password.",
  }),
  new_device_sign_in: (d) => ({
    subject: "New sign-in to your account",
    heading: "New sign-in from a device we haven't seen",
    paragraphs: [`Your account was signed in to from a device or browser not used with it before, with ${METHOD_WORDS[d.method] ?? "your credentials"}.`],
    notYou: CHANGE_PASSWORD,
  }),
  account_locked: (d) => ({
    subject: "Too many wrong codes or passwords: your account is locked",
    heading: "Account locked",
    paragraphs: [
      `Too many wrong authentication codes, backup codes or confirmation passwords were entered for your account, so signing in with a code and changing security settings are locked until ${formatTime(d.until)}.`,
      "Codes are only asked after the correct password, and confirmation passwords only in a signed-in session, so whoever entered them may know your password or hold one of your sessions.",
    ],
    notYou: "If this wasn't you, change your password as soon as you can sign in again.",
  }),
  login_locked: (d) => ({
    subject: "Too many wrong passwords: password sign-in is paused",
    heading: "Password sign-in paused",
    paragraphs: [
      `Too many wrong passwords were entered for your account, so signing in with the password from a new browser is paused until ${formatTime(d.until)}.`,
      "Browsers where you signed in before are not affected: sign in there as usual. Resetting your password with \"Forgot your password?\" also lifts the pause.",
    ],
    notYou: "If this wasn't you, someone is guessing your password: choose a strong password you use nowhere else, and turn on two-factor authentication.",
  }),
  refresh_token_reuse: () => ({
    subject: "A session of your account was ended for your security",
    heading: "A stolen session token may have been used",
    paragraphs: ["An old sign-in token of one of your sessions was presented again. This happens when a copy of it is replayed, so that session was ended."],
    notYou: "If you did not expect this, change your password and review your sessions.",
  }),
  password_changed: () => ({
    subject: "Your password was changed",
    heading: "Password changed",
    paragraphs: ["The password of your account was changed. Every other session was signed out and remembered devices were forgotten."],
    notYou: "If this wasn't you, reset your password now with \"Forgot your password?\" on the sign-in page and contact your administrator.",
  }),
  password_reset_requested: (d, appUrl) => ({
    subject: "Reset your password",
    heading: "Reset your password",
    paragraphs: [
      `Someone (hopefully you) asked to reset the password of your account. The link below works once, until ${formatTime(d.expiresAt)}.`,
      "Resetting the password signs out every session. If two-factor authentication is on, it stays on.",
    ],
    action: { label: "Choose a new password", url: `${appUrl}/reset-password#token=${encodeURIComponent(d.token ?? "")}` },
    notYou: "If you didn't ask for this, ignore this email: your password stays as it is.",
  }),
  password_reset: () => ({
    subject: "Your password was reset",
    heading: "Password reset",
    paragraphs: ["The password of your account was reset with a link sent to this address. Every session was signed out and remembered devices were forgotten."],
    notYou: "If this wasn't you, someone can read your email: secure your mailbox, then reset your password again.",
  }),
  admin_twofa_reset: (d, appUrl) => ({
    subject: "An administrator reset your two-factor authentication",
    heading: "Two-factor authentication was reset",
    paragraphs: [
      "An administrator turned off two-factor authentication on your account: your authenticator app, passkeys and backup codes no longer work. Every session was signed out and remembered devices were forgotten.",
      `Reason given: ${d.reason}`,
      ...(d.token
        ? [`Set two-factor authentication up again with the link below and your password. Only this link opens the setup; it works until ${formatTime(d.linkExpiresAt ?? "")}.`]
        : ["Set two-factor authentication up again the next time you sign in."]),
    ],
    ...(d.token ? { action: { label: "Set up two-factor authentication", url: enrolmentUrl(appUrl, d.token) } } : {}),
    notYou: "If you did not ask for this, do not open the link: contact your administrator.",
  }),
  twofa_enrolment_link: (d, appUrl) => ({
    subject: "Set up two-factor authentication again",
    heading: "Your link to set up two-factor authentication",
    paragraphs: [
      `You asked for a new link to set up two-factor authentication after an administrator reset it. The link works with your password until ${formatTime(d.expiresAt)}; earlier links no longer work.`,
    ],
    action: { label: "Set up two-factor authentication", url: enrolmentUrl(appUrl, d.token ?? "") },
    notYou: "If you didn't ask for this, someone has your password: do not open the link, and contact your administrator.",
  }),
  passkey_added: (d) => ({
    subject: "A passkey or security key was added to your account",
    heading: "New passkey or security key",
    paragraphs: [
      `A passkey or security key named "${d.name}" was added to your account. It can now be used as the second step when signing in and to confirm security changes.`,
      ...(d.firstFactor ? ["Two-factor authentication is now on: signing in needs your password and this key (or one of your new backup codes). Every other session was signed out."] : []),
    ],
    notYou: "If this wasn't you, someone has your password and a session: remove the key on your profile page, change your password and sign out other sessions.",
  }),
  passkey_removed: (d) => ({
    subject: d.lastFactor ? "A passkey was removed and two-factor authentication is off" : "A passkey or security key was removed from your account",
    heading: "Passkey or security key removed",
    paragraphs: [
      `The passkey or security key named "${d.name}" was removed from your account. It can no longer be used to sign in.`,
      ...(d.lastFactor ? ["It was your last second factor, so two-factor authentication is now off and your backup codes no longer work."] : []),
    ],
    notYou: "If this wasn't you, reset your password now and set up two-factor authentication again.",
  }),
  account_unlocked: (d) => ({
    subject: "Your account was unlocked",
    heading: d.passwordLogin ? (d.codeEntry ? "Account unlocked" : "Password sign-in unlocked") : "Code entry unlocked",
    paragraphs: [
      d.passwordLogin
        ? d.codeEntry
          ? "An administrator lifted the locks on code entry and on password sign-in for your account, so you can sign in again."
          : "An administrator lifted the pause on password sign-in for your account, so you can sign in with your password again."
        : "An administrator lifted the lock on code entry for your account, so you can sign in with a code again.",
    ],
    notYou: false,
  }),
};

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** The link every security email carries. */
export const securityActivityUrl = (appUrl: string) => `${appUrl}/profile#security-activity`;

export function renderMail<T extends MailTemplate>(template: T, data: TemplateData[T], appUrl: string): RenderedMail {
  const describe = DESCRIBE[template] as (data: TemplateData[T], appUrl: string) => Description;
  if (!describe) throw new Error(`unknown mail template ${String(template)}`);
  const d = describe(data, appUrl);
  const details: [string, string][] = [
    ["When", formatTime(data.at)],
    ["Device", describeDevice(data.userAgent)],
    ["IP address", data.ip ?? "unknown"],
  ];
  const activity = securityActivityUrl(appUrl);
  const notYou = d.notYou === undefined ? CHANGE_PASSWORD : d.notYou;

  const text = [
    d.heading,
    "",
    ...d.paragraphs.flatMap((p) => [p, ""]),
    ...(d.action ? [`${d.action.label}: ${d.action.url}`, ""] : []),
    ...details.map(([k, v]) => `${k}: ${v}`),
    "",
    `Review your security activity: ${activity}`,
    ...(notYou ? ["", notYou] : []),
    "",
    "— TwoFA (this is an automatic security message; it is sent whatever your notification settings)",
    "",
  ].join("\n");

  const p = (s: string) => `<p style="margin:0 0 12px">${escapeHtml(s)}</p>`;
  const button = (label: string, url: string) =>
    `<p style="margin:16px 0"><a href="${escapeHtml(url)}" style="background:#1f4fd1;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">${escapeHtml(label)}</a></p>`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(d.subject)}</title></head>
<body style="font-family:system-ui,-apple-system,Segoe UI,sans-serif;color:#1b1b1b;line-height:1.5;max-width:560px;margin:0 auto;padding:16px">
<h1 style="font-size:20px;margin:0 0 16px">${escapeHtml(d.heading)}</h1>
${d.paragraphs.map(p).join("\n")}
${d.action ? button(d.action.label, d.action.url) : ""}
<table style="border-collapse:collapse;margin:12px 0">${details
    .map(([k, v]) => `<tr><th style="text-align:left;padding:2px 12px 2px 0;font-weight:600">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join("")}</table>
<p style="margin:0 0 12px"><a href="${escapeHtml(activity)}">Review your security activity</a></p>
${notYou ? p(notYou) : ""}
<p style="color:#666;font-size:12px;margin-top:24px">TwoFA — this is an automatic security message; it is sent whatever your notification settings.</p>
</body></html>
`;
  return { subject: d.subject, text, html };
}
