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
};

/** Events a user should look at twice. */
const WARNINGS = new Set(['LOGIN_FAILURE', 'TWOFA_VERIFY_FAILURE', 'TOTP_REPLAY', 'TWOFA_LOCKED', 'TWOFA_DISABLED']);

/** Readable words for an audit event type; unknown types are humanised rather than hidden. */
export function describeSecurityEvent(type: string): string {
  const known = TEXT[type];
  if (known) return known;
  const words = type.toLowerCase().replace(/_+/g, ' ').trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : 'Security event';
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
