import { PROOF_CONTEXTS, authMethodLabel, humanise, isWarningEventType, securityEventText } from '@twofa/contract';
import { formatDrift } from '../../core/auth/api-error';
import { SecurityEvent } from '../../core/auth/api.types';

// The words of each event type, of each login method and of each place a proof is given live in
// @twofa/contract (one place for the API, its emails and this page); this file only refines a
// line with the event's detail.
const TEXT = (type: string) => securityEventText(type);

/** Readable words for an audit event type; unknown types are humanised rather than hidden. */
export function describeSecurityEvent(type: string): string {
  return securityEventText(type);
}

/** "Authenticator code" for `totp`, and so on; unknown methods are humanised. */
export function authMethodText(method: string | null | undefined): string {
  return authMethodLabel(method);
}

/** Where a code or password was given (`detail.during`; absent at login). */
const DURING_TEXT: Readonly<Record<string, string>> = PROOF_CONTEXTS;

function detailString(event: Pick<SecurityEvent, 'detail'>, key: string): string | undefined {
  const value = event.detail?.[key];
  return typeof value === 'string' && value ? value : undefined;
}

function whereText(event: Pick<SecurityEvent, 'detail'>): string {
  const during = detailString(event, 'during');
  return during ? (DURING_TEXT[during] ?? `while ${humanise(during, 'changing a setting').toLowerCase()}`) : 'at login';
}

/** A replay by the browser that had the code accepted moments before (a double submit): no alarm. */
function isOwnReplay(event: Pick<SecurityEvent, 'type' | 'detail'>): boolean {
  return event.type === 'TOTP_REPLAY' && event.detail?.['sameBrowser'] === true;
}

/** "Wrong authentication code entered while turning on two-factor authentication (…clock was about 2 minutes slow)". */
function verifyFailureText(event: Pick<SecurityEvent, 'detail'>): string {
  const where = whereText(event);
  const reason = detailString(event, 'reason');
  if (reason === 'backup_code_used') return `An already used backup code was entered ${where}`;
  if (detailString(event, 'method') === 'passkey') return `A passkey or security key was refused ${where}`;
  const what = detailString(event, 'method') === 'backup_code' ? 'Wrong backup code' : 'Wrong authentication code';
  const drift = event.detail?.['driftSeconds'];
  if (reason === 'clock_drift' && typeof drift === 'number' && Math.round(drift) !== 0) {
    return `${what} entered ${where} (the authenticator’s clock was about ${formatDrift(drift)} ${drift < 0 ? 'slow' : 'fast'})`;
  }
  return `${what} entered ${where}`;
}

/**
 * The event's words. The type alone can mislead, so the detail refines it: how a login was verified
 * ("Logged in (backup code)"), where a wrong code was entered (`during`), whether a replayed code
 * came from the browser that had just used it.
 */
export function describeEvent(event: Pick<SecurityEvent, 'type' | 'detail'>): string {
  const method = detailString(event, 'method');
  switch (event.type) {
    case 'LOGIN_SUCCESS':
      return method ? `Logged in (${authMethodText(method).toLowerCase()})` : TEXT('LOGIN_SUCCESS');
    case 'TWOFA_VERIFY_FAILURE':
      return verifyFailureText(event);
    case 'TOTP_REPLAY':
      return isOwnReplay(event)
        ? `A code was entered again ${whereText(event)} right after this browser had used it (refused: each code works once)`
        : TEXT('TOTP_REPLAY');
    case 'BACKUP_CODE_USED': {
      const during = detailString(event, 'during');
      return during ? `A backup code was used ${DURING_TEXT[during] ?? whereText(event)}` : TEXT('BACKUP_CODE_USED');
    }
    case 'TWOFA_SETUP_STARTED':
      return event.detail?.['resumed'] === true ? 'Two-factor setup continued (the same key was shown again)' : TEXT('TWOFA_SETUP_STARTED');
    default:
      // the contract words some types by their detail (TWOFA_ENABLED {firstFactor:false}, …)
      return securityEventText(event.type, event.detail);
  }
}

export function isWarningEvent(type: string): boolean {
  return isWarningEventType(type);
}

/** Like isWarningEvent, with the detail: a replay by the browser that had just used the code is not one. */
export function isWarning(event: Pick<SecurityEvent, 'type' | 'detail'>): boolean {
  return isWarningEvent(event.type) && !isOwnReplay(event);
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

/** One line of the activity list: an event, and the events of the same login folded into it. */
export interface ActivityEntry {
  event: SecurityEvent;
  /** Facts of the same login shown by this one line (a backup code spent, the code step passed). */
  merged: SecurityEvent[];
}

/** Whether `part` is one of the facts a login with a second factor writes with its LOGIN_SUCCESS. */
function isPartOf(part: SecurityEvent, login: SecurityEvent): boolean {
  if (detailString(part, 'during')) return false; // a proof on a management path, not this login
  const method = detailString(login, 'method');
  if (part.type === 'BACKUP_CODE_USED') return method === 'backup_code';
  if (part.type === 'TWOFA_VERIFY_SUCCESS') {
    const partMethod = detailString(part, 'method');
    return (method === 'totp' || method === 'backup_code' || method === 'passkey') && (!partMethod || partMethod === method);
  }
  return false;
}

/** Written by one request: same browser and address, within a few seconds. */
function sameRequest(a: SecurityEvent, b: SecurityEvent): boolean {
  return a.ip === b.ip && a.userAgent === b.userAgent && Math.abs(Date.parse(a.createdAt) - Date.parse(b.createdAt)) <= 5_000;
}

/**
 * A login with a second factor writes LOGIN_SUCCESS, TWOFA_VERIFY_SUCCESS and (with a backup code)
 * BACKUP_CODE_USED in one transaction: they are one thing to the user, so they read as one line
 * ("Logged in (backup code)") whose `merged` keeps the other two. The API lists a transaction's
 * events together in a stable order, so only close neighbours of the same request are folded, at
 * most one of each type; a part whose LOGIN_SUCCESS is not in the list (yet: it is on the next
 * page) stays a line of its own.
 */
export function groupActivity(events: SecurityEvent[]): ActivityEntry[] {
  const claimedBy = new Map<number, number>(); // part index → login index
  events.forEach((login, i) => {
    if (login.type !== 'LOGIN_SUCCESS') return;
    const types = new Set<string>();
    for (const j of [i - 1, i + 1, i - 2, i + 2]) {
      const part = events[j];
      if (!part || claimedBy.has(j) || types.has(part.type) || !isPartOf(part, login) || !sameRequest(login, part)) continue;
      types.add(part.type);
      claimedBy.set(j, i);
    }
  });
  const parts = new Map<number, SecurityEvent[]>();
  for (const [j, i] of claimedBy) parts.set(i, [...(parts.get(i) ?? []), events[j]]);
  return events.flatMap((event, i) => (claimedBy.has(i) ? [] : [{ event, merged: parts.get(i) ?? [] }]));
}
