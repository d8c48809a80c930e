import { FormControl } from '@angular/forms';
import {
  TOTP_CODE_PATTERN,
  backupCodeValidator,
  groupInFours,
  normalizeBackupCode,
  normalizeTotpCode,
  totpCodeValidator,
} from './codes';

describe('code helpers', () => {
  it('uses the exact 6-digit pattern', () => {
    expect(TOTP_CODE_PATTERN.source).toBe('^\\d{6}$');
  });

  it.each(['123456', '123 456', ' 123456 ', '12 34 56', '000000'])('accepts the TOTP code %j', (value) => {
    expect(totpCodeValidator(new FormControl(value))).toBeNull();
  });

  it.each(['12345', '1234567', '12345a', 'abcdef', '１２３４５６', '123-456'])('rejects the TOTP code %j', (value) => {
    expect(totpCodeValidator(new FormControl(value))).toEqual({ totpCode: true });
  });

  it('leaves an empty code to Validators.required', () => {
    expect(totpCodeValidator(new FormControl(''))).toBeNull();
  });

  it('removes spaces from a pasted code', () => {
    expect(normalizeTotpCode('123 456')).toBe('123456');
    expect(normalizeTotpCode('\t12 34 56\n')).toBe('123456');
  });

  it('accepts and normalises backup codes', () => {
    expect(backupCodeValidator(new FormControl('abcd-efgh'))).toBeNull();
    expect(backupCodeValidator(new FormControl('abcdefgh'))).toBeNull();
    expect(backupCodeValidator(new FormControl('abc-defgh'))).toEqual({ backupCode: true });
    expect(backupCodeValidator(new FormControl('123456'))).toEqual({ backupCode: true });
    expect(normalizeBackupCode(' abcd efgh ')).toBe('abcd-efgh');
    expect(normalizeBackupCode('abcd-efgh')).toBe('abcd-efgh');
  });

  it('groups the manual key by four', () => {
    expect(groupInFours('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP')).toBe('JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP');
    expect(groupInFours('ABCDEF')).toBe('ABCD EF');
    expect(groupInFours('')).toBe('');
  });
});
