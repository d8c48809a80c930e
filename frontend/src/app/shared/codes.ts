import { AbstractControl, ValidationErrors, ValidatorFn } from '@angular/forms';

/** A TOTP code: exactly six ASCII digits once spaces are removed ("123 456" is fine). */
export const TOTP_CODE_PATTERN = /^\d{6}$/;
/** A backup code: "xxxx-xxxx" (the dash may be left out). */
export const BACKUP_CODE_PATTERN = /^[A-Za-z0-9]{4}-[A-Za-z0-9]{4}$/;

export function normalizeTotpCode(value: string): string {
  return value.replace(/\s+/g, '');
}

export function normalizeBackupCode(value: string): string {
  const compact = value.replace(/\s+/g, '');
  return /^[A-Za-z0-9]{8}$/.test(compact) ? `${compact.slice(0, 4)}-${compact.slice(4)}` : compact;
}

/** Empty values are left to Validators.required. */
export const totpCodeValidator: ValidatorFn = (control: AbstractControl<string | null>): ValidationErrors | null => {
  const value = control.value ?? '';
  if (value.trim() === '') return null;
  return TOTP_CODE_PATTERN.test(normalizeTotpCode(value)) ? null : { totpCode: true };
};

export const backupCodeValidator: ValidatorFn = (control: AbstractControl<string | null>): ValidationErrors | null => {
  const value = control.value ?? '';
  if (value.trim() === '') return null;
  return BACKUP_CODE_PATTERN.test(normalizeBackupCode(value)) ? null : { backupCode: true };
};

/** "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP" (easier to type into an authenticator app). */
export function groupInFours(secret: string): string {
  return (secret.replace(/\s+/g, '').match(/.{1,4}/g) ?? []).join(' ');
}
