import { SecurityEventType } from '../../core/auth/api.types';
import { anEvent } from '../../../testing/fixtures';
import {
  authMethodText,
  describeEvent,
  describeSecurityEvent,
  describeUserAgent,
  eventMeta,
  groupActivity,
  isWarning,
  isWarningEvent,
} from './security-event-text';

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

  it('words a factor change by its detail: an app added to a passkey account, a first passkey', () => {
    expect(describeEvent(anEvent({ type: 'TWOFA_ENABLED', detail: { method: 'totp', firstFactor: false } }))).toBe(
      'Authenticator app added (two-factor authentication was already on)',
    );
    expect(describeEvent(anEvent({ type: 'TWOFA_ENABLED', detail: null }))).toBe(describeSecurityEvent('TWOFA_ENABLED'));
    expect(describeEvent(anEvent({ type: 'PASSKEY_ADDED', detail: { firstFactor: true } }))).toBe(
      'Passkey or security key added (two-factor authentication turned on)',
    );
  });

  it('says how a login was verified when the event tells', () => {
    expect(describeEvent(anEvent({ type: 'LOGIN_SUCCESS', detail: { method: 'backup_code' } }))).toBe('Logged in (backup code)');
    expect(describeEvent(anEvent({ type: 'LOGIN_SUCCESS', detail: { method: 'trusted_device' } }))).toBe('Logged in (remembered device)');
    expect(describeEvent(anEvent({ type: 'LOGIN_SUCCESS', detail: null }))).toBe('Logged in');
    expect(describeEvent(anEvent({ type: 'LOGOUT', detail: { method: 'totp' } }))).toBe('Logged out');
  });

  it('says where a wrong code was entered (detail.during), not always "at login"', () => {
    const failure = (detail: Record<string, unknown> | null) => describeEvent(anEvent({ type: 'TWOFA_VERIFY_FAILURE', detail }));
    expect(failure({ method: 'totp' })).toBe('Wrong authentication code entered at login');
    expect(failure(null)).toBe('Wrong authentication code entered at login');
    expect(failure({ during: 'enable', method: 'totp' })).toBe('Wrong authentication code entered while turning on two-factor authentication');
    expect(failure({ during: 'disable' })).toBe('Wrong authentication code entered while turning off two-factor authentication');
    expect(failure({ during: 'backup_codes', method: 'backup_code' })).toBe('Wrong backup code entered while creating new backup codes');
    expect(failure({ method: 'backup_code' })).toBe('Wrong backup code entered at login');
    expect(failure({ method: 'backup_code', reason: 'backup_code_used' })).toBe('An already used backup code was entered at login');
    expect(failure({ during: 'enable', method: 'totp', reason: 'clock_drift', driftSeconds: -120 })).toBe(
      'Wrong authentication code entered while turning on two-factor authentication (the authenticator’s clock was about 2 minutes slow)',
    );
  });

  it('words a replay by the same browser calmly, any other replay as a warning', () => {
    const own = anEvent({ type: 'TOTP_REPLAY', detail: { sameBrowser: true, during: 'backup_codes' } });
    expect(describeEvent(own)).toBe(
      'A code was entered again while creating new backup codes right after this browser had used it (refused: each code works once)',
    );
    expect(isWarning(own)).toBe(false);
    const other = anEvent({ type: 'TOTP_REPLAY', detail: { sameBrowser: false } });
    expect(describeEvent(other)).toBe('An already used code was tried again — if this wasn’t you, change your password');
    expect(isWarning(other)).toBe(true);
    expect(isWarning(anEvent({ type: 'TOTP_REPLAY', detail: null }))).toBe(true);
  });

  it('says what a backup code was used for, and when setup was continued', () => {
    expect(describeEvent(anEvent({ type: 'BACKUP_CODE_USED' }))).toBe('A backup code was used to log in');
    expect(describeEvent(anEvent({ type: 'BACKUP_CODE_USED', detail: { during: 'disable' } }))).toBe(
      'A backup code was used while turning off two-factor authentication',
    );
    expect(describeEvent(anEvent({ type: 'TWOFA_SETUP_STARTED', detail: { resumed: true } }))).toBe(
      'Two-factor setup continued (the same key was shown again)',
    );
    expect(describeEvent(anEvent({ type: 'TWOFA_SETUP_STARTED' }))).toBe('Two-factor setup started');
  });

  describe('groupActivity', () => {
    const same = { ip: '10.0.0.1', userAgent: 'UA', createdAt: '2026-11-25T08:00:00.100Z' };
    const types = (events: ReturnType<typeof anEvent>[]) =>
      groupActivity(events).map((e) => [e.event.type, ...e.merged.map((m) => m.type)].join('+'));

    it('folds a 2FA login\'s code step and spent backup code into its LOGIN_SUCCESS', () => {
      const backup = [
        anEvent({ id: 'c', type: 'BACKUP_CODE_USED', ...same }),
        anEvent({ id: 'b', type: 'LOGIN_SUCCESS', ...same, detail: { method: 'backup_code', twoFactor: true } }),
        anEvent({ id: 'a', type: 'TWOFA_VERIFY_SUCCESS', ...same, detail: { method: 'backup_code' } }),
      ];
      expect(types(backup)).toEqual(['LOGIN_SUCCESS+BACKUP_CODE_USED+TWOFA_VERIFY_SUCCESS']);
      const totp = [
        anEvent({ id: 'b', type: 'LOGIN_SUCCESS', ...same, detail: { method: 'totp', twoFactor: true } }),
        anEvent({ id: 'a', type: 'TWOFA_VERIFY_SUCCESS', ...same, detail: { method: 'totp' } }),
      ];
      expect(types(totp)).toEqual(['LOGIN_SUCCESS+TWOFA_VERIFY_SUCCESS']);
    });

    it('keeps apart what is not the same login: another browser, minutes apart, a proof, a password-only login, two logins', () => {
      const login = (id: string, at = same.createdAt) =>
        anEvent({ id, type: 'LOGIN_SUCCESS', ...same, createdAt: at, detail: { method: 'totp', twoFactor: true } });
      const verify = (id: string, extra: Partial<ReturnType<typeof anEvent>> = {}) =>
        anEvent({ id, type: 'TWOFA_VERIFY_SUCCESS', ...same, detail: { method: 'totp' }, ...extra });
      expect(types([login('b'), verify('a', { ip: '10.9.9.9' })])).toEqual(['LOGIN_SUCCESS', 'TWOFA_VERIFY_SUCCESS']);
      expect(types([login('b'), verify('a', { createdAt: '2026-11-25T07:50:00Z' })])).toEqual(['LOGIN_SUCCESS', 'TWOFA_VERIFY_SUCCESS']);
      expect(types([anEvent({ id: 'b', type: 'BACKUP_CODE_USED', ...same, detail: { during: 'disable' } }), login('a')])).toEqual([
        'BACKUP_CODE_USED',
        'LOGIN_SUCCESS',
      ]);
      expect(types([anEvent({ id: 'b', type: 'LOGIN_SUCCESS', ...same, detail: { method: 'password' } }), verify('a')])).toEqual([
        'LOGIN_SUCCESS',
        'TWOFA_VERIFY_SUCCESS',
      ]);
      // two quick logins: each takes its own code step
      expect(types([login('d'), verify('c'), login('b'), verify('a')])).toEqual(['LOGIN_SUCCESS+TWOFA_VERIFY_SUCCESS', 'LOGIN_SUCCESS+TWOFA_VERIFY_SUCCESS']);
    });

    it('a part whose login is on the next page stays a line of its own', () => {
      expect(types([anEvent({ id: 'a', type: 'BACKUP_CODE_USED', ...same })])).toEqual(['BACKUP_CODE_USED']);
    });
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
    expect(describeSecurityEvent('SOMETHING_NEW_HAPPENED')).toBe('Something new happened');
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
