import { AbstractControl } from '@angular/forms';

/**
 * A field shows its error once its form was submitted, or once it was left (touched) with
 * something typed in it: leaving an EMPTY field says nothing yet. (That also keeps the layout
 * still when the user clicks another button right after a field was cleared: an error line
 * appearing on blur would move that button away from under the pointer.) Disabled controls never do.
 */
export function showControlError(control: AbstractControl, submitted: boolean): boolean {
  if (!control.enabled || !control.invalid) return false;
  return submitted || (control.touched && !control.hasError('required'));
}

/**
 * On an invalid form: marks every control touched, focuses the first invalid input under `host`
 * and returns true. Returns false when the form may be sent.
 */
export function rejectInvalidForm(form: AbstractControl, host: HTMLElement): boolean {
  if (form.valid) return false;
  form.markAllAsTouched();
  host.querySelector<HTMLElement>('input.ng-invalid')?.focus();
  return true;
}

/** The aria-describedby value of a field with an optional hint and an error shown when `invalid`. */
export function describedBy(inputId: string, hasHint: boolean, invalid: boolean): string | null {
  const ids = [hasHint ? `${inputId}-hint` : '', invalid ? `${inputId}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : null;
}

/** The two ways to give a second factor: a current authenticator code, or a backup code. */
export type SecondFactor = 'code' | 'backup';

/**
 * Switches a form between its `code` and `backupCode` fields: both are cleared, only the chosen
 * one is enabled (a disabled control neither validates nor is sent by getRawValue's callers).
 */
export function selectSecondFactor(controls: { code: AbstractControl; backupCode: AbstractControl }, next: SecondFactor): void {
  const { code, backupCode } = controls;
  code.reset();
  backupCode.reset();
  if (next === 'code') {
    backupCode.disable();
    code.enable();
  } else {
    code.disable();
    backupCode.enable();
  }
}
