import { SecurityEventType } from '../../core/auth/api.types';
import { anEvent } from '../../../testing/fixtures';
import { authMethodText, describeEvent, describeSecurityEvent, describeUserAgent, eventMeta, isWarningEvent } from './security-event-text';

const ALL_TYPES: SecurityEventType[] = [
  'REGISTERED',
  'LOGIN_SUCCESS',
  'LOGIN_FAILURE',
  'TWOFA_SETUP_STARTED',
  'TWOFA_ENABLED',
  'TWOFA_DISABLED',
  'TWOFA_VERIFY_SUCCESS',
  'TWOFA_VERIFY_FAILURE',
  'TOTP_REPLAY',
  'BACKUP_CODE_USED',
  'BACKUP_CODES_REGENERATED',
  'TWOFA_LOCKED',
  'SESSIONS_REVOKED',
  'REFRESH_TOKEN_REUSE',
  'SESSION_REVOKED',
  'LOGOUT',
  'TRUSTED_DEVICE_REMOVED',
  'PASSWORD_PROOF_FAILURE',
];

describe('security event text', () => {
  it.each(ALL_TYPES)('%s reads as words, not as a code', (type) => {
    const text = describeSecurityEvent(type);
    expect(text).not.toContain('_');
    expect(text).not.toBe(type);
    expect(text.length).toBeGreaterThan(5);
  });

  it('warns about a replayed code in plain words', () => {
    expect(describeSecurityEvent('TOTP_REPLAY')).toBe(
      'An already used code was tried again — if this wasn’t you, change your password',
    );
    expect(isWarningEvent('TOTP_REPLAY')).toBe(true);
    expect(isWarningEvent('LOGIN_SUCCESS')).toBe(false);
  });

  it('flags a reused refresh token and a wrong password proof, not a plain logout', () => {
    expect(isWarningEvent('REFRESH_TOKEN_REUSE')).toBe(true);
    expect(isWarningEvent('PASSWORD_PROOF_FAILURE')).toBe(true);
    expect(isWarningEvent('LOGOUT')).toBe(false);
    expect(isWarningEvent('SESSION_REVOKED')).toBe(false);
    expect(describeSecurityEvent('REFRESH_TOKEN_REUSE')).toContain('that session was ended');
    expect(describeSecurityEvent('TRUSTED_DEVICE_REMOVED')).toBe('A remembered device was forgotten (it will ask for a code again)');
  });

  it('says how a login was verified when the event tells', () => {
    expect(describeEvent(anEvent({ type: 'LOGIN_SUCCESS', detail: { method: 'backup_code' } }))).toBe('Logged in (backup code)');
    expect(describeEvent(anEvent({ type: 'LOGIN_SUCCESS', detail: { method: 'trusted_device' } }))).toBe('Logged in (remembered device)');
    expect(describeEvent(anEvent({ type: 'LOGIN_SUCCESS', detail: null }))).toBe('Logged in');
    expect(describeEvent(anEvent({ type: 'LOGOUT', detail: { method: 'totp' } }))).toBe('Logged out');
  });

  it.each([
    ['password', 'Password'],
    ['totp', 'Authenticator code'],
    ['backup_code', 'Backup code'],
    ['trusted_device', 'Remembered device'],
    ['passkey', 'Passkey'],
    ['security_key', 'Security key'],
  ])('auth method %s reads "%s"', (method, text) => {
    expect(authMethodText(method)).toBe(text);
  });

  it('humanises unknown future types', () => {
    expect(describeSecurityEvent('PASSWORD_CHANGED')).toBe('Password changed');
  });

  it('summarises user agents', () => {
    expect(describeUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36')).toBe('Chrome on Windows');
    expect(describeUserAgent('Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1')).toBe('Safari on iOS');
    expect(describeUserAgent('Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0')).toBe('Firefox on Linux');
    expect(describeUserAgent('curl/8.5.0')).toBe('curl/8.5.0');
    expect(describeUserAgent(null)).toBe('Unknown device');
    expect(eventMeta({ id: '1', type: 'LOGIN_SUCCESS', ip: '10.0.0.1', userAgent: null, createdAt: '', detail: null })).toEqual([
      '10.0.0.1',
      'Unknown device',
    ]);
  });
});
