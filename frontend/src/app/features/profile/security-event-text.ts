import { SecurityEvent } from '../../core/auth/api.types';

const TEXT: Record<string, string> = {
  REGISTERED: 'Account created',
  LOGIN_SUCCESS: 'Logged in',
  LOGIN_FAILURE: 'Failed login attempt (wrong password)',
  TWOFA_SETUP_STARTED: 'Two-factor setup started',
  TWOFA_ENABLED: 'Two-factor authentication turned on',
  TWOFA_DISABLED: 'Two-factor authentication turned off',
  TWOFA_VERIFY_SUCCESS: 'Authentication code accepted at login',
  TWOFA_VERIFY_FAILURE: 'Wrong authentication code entered at login',
  TOTP_REPLAY: 'An already used code was tried again — if this wasn\u2019t you, change your password',
  BACKUP_CODE_USED: 'A backup code was used to log in',
  BACKUP_CODES_REGENERATED: 'New backup codes were created (the old ones no longer work)',
  TWOFA_LOCKED: 'Code entry locked for a while after too many wrong codes',
  SESSIONS_REVOKED: 'Logged out on every device',
  REFRESH_TOKEN_REUSE:
    'An old sign-in token of a session was used again, so that session was ended — if you didn\u2019t expect this, change your password',
  SESSION_REVOKED: 'A session was signed out from your sessions list',
  LOGOUT: 'Logged out',
  TRUSTED_DEVICE_REMOVED: 'A remembered device was forgotten (it will ask for a code again)',
  PASSWORD_PROOF_FAILURE: 'Wrong password given to confirm a security change',
};

/** How a login was verified (sessions list, LOGIN_SUCCESS detail.method). */
const AUTH_METHOD_TEXT: Record<string, string> = {
  password: 'Password',
  totp: 'Authenticator code',
  backup_code: 'Backup code',
  trusted_device: 'Remembered device',
  passkey: 'Passkey',
};

/** Events a user should look at twice. */
const WARNINGS = new Set([
  'LOGIN_FAILURE',
  'TWOFA_VERIFY_FAILURE',
  'TOTP_REPLAY',
  'TWOFA_LOCKED',
  'TWOFA_DISABLED',
  'REFRESH_TOKEN_REUSE',
  'PASSWORD_PROOF_FAILURE',
]);

function humanise(code: string, fallback: string): string {
  const words = code.toLowerCase().replace(/_+/g, ' ').trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : fallback;
}

/** Readable words for an audit event type; unknown types are humanised rather than hidden. */
export function describeSecurityEvent(type: string): string {
  return TEXT[type] ?? humanise(type, 'Security event');
}

/** "Authenticator code" for `totp`, and so on; unknown methods are humanised. */
export function authMethodText(method: string | null | undefined): string {
  if (!method) return 'Unknown';
  return AUTH_METHOD_TEXT[method] ?? humanise(method, 'Unknown');
}

/** The event's words, with how a login was verified when the server says so ("Logged in (backup code)"). */
export function describeEvent(event: Pick<SecurityEvent, 'type' | 'detail'>): string {
  const text = describeSecurityEvent(event.type);
  const method = event.detail?.['method'];
  if (event.type === 'LOGIN_SUCCESS' && typeof method === 'string' && method) {
    return `${text} (${authMethodText(method).toLowerCase()})`;
  }
  return text;
}

export function isWarningEvent(type: string): boolean {
  return WARNINGS.has(type);
}

/** "Firefox on Linux" from a user-agent string (a hint, not a fingerprint). */
export function describeUserAgent(userAgent: string | null | undefined): string {
  if (!userAgent) return 'Unknown device';
  const ua = userAgent;
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /OPR\/|Opera/.test(ua)
      ? 'Opera'
      : /Firefox\//.test(ua)
        ? 'Firefox'
        : /Chrom(e|ium)\//.test(ua)
          ? 'Chrome'
          : /Safari\//.test(ua)
            ? 'Safari'
            : null;
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad|iPod/.test(ua)
      ? 'iOS'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS X|Macintosh/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : null;
  if (browser && os) return `${browser} on ${os}`;
  if (browser || os) return (browser ?? os) as string;
  return ua.length > 40 ? `${ua.slice(0, 40)}…` : ua;
}

export function eventMeta(event: SecurityEvent): string[] {
  const parts: string[] = [];
  if (event.ip) parts.push(event.ip);
  parts.push(describeUserAgent(event.userAgent));
  return parts;
}
