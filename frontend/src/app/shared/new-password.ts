import { Signal, signal } from '@angular/core';
import { AbstractControl, ValidationErrors } from '@angular/forms';
import type { PasswordCheck } from '@twofa/password-policy';
import { PASSWORD_MIN_LENGTH } from '@twofa/password-policy/limits';

/** The password rule the server applies (DESIGN §6.14), from the module the API uses too. */
type PasswordPolicy = typeof import('@twofa/password-policy');

export const NEW_PASSWORD_ADVICE = `At least ${PASSWORD_MIN_LENGTH} characters. A passphrase of a few words works well.`;

/**
 * The live rule for a "New password" field (reset and change forms). The rule with its
 * dictionaries (~1.6 MB) loads in the background: the form works without it (the server applies
 * the same rule), it only adds the hint while typing and the check before sending.
 */
export class NewPasswordRule {
  private readonly policy = signal<PasswordPolicy | null>(null);
  private last: { password: string; email: string; result: PasswordCheck } | null = null;
  readonly loaded: Signal<boolean>;

  /** @param email the account's email (a password must not contain its name part) */
  constructor(
    private readonly email: () => string,
    onLoaded: () => void,
  ) {
    const loaded = signal(false);
    this.loaded = loaded.asReadonly();
    import('@twofa/password-policy').then(
      (module) => {
        // a CommonJS package: the production bundle puts its exports under `default`
        const policy = ((module as { default?: PasswordPolicy }).default ?? module) as PasswordPolicy;
        this.policy.set(policy);
        loaded.set(true);
        onLoaded();
      },
      () => undefined, // offline or blocked: the server still checks
    );
  }

  /** zxcvbn runs once per distinct (password, email), not once per change detection. */
  check(password: string): PasswordCheck | null {
    const policy = this.policy();
    if (!policy || !password) return null;
    const email = this.email().trim();
    if (this.last?.password !== password || this.last.email !== email) {
      this.last = { password, email, result: policy.checkPassword(password, email) };
    }
    return this.last.result;
  }

  /** A validator for the control: `{passwordPolicy: message}` when the rule refuses it. */
  readonly validator = (control: AbstractControl): ValidationErrors | null => {
    const result = this.check(String(control.value ?? ''));
    return result && !result.ok ? { passwordPolicy: result.message } : null;
  };

  /** Under the field while typing: how strong it is, or why it would be refused. */
  hint(password: string, errorShown: boolean): string {
    const result = this.check(password);
    if (!result || result.reason === 'too_short') return NEW_PASSWORD_ADVICE;
    if (result.ok) return result.score === 4 ? 'Strong password.' : 'Good password.';
    return errorShown ? NEW_PASSWORD_ADVICE : `Password ${result.message}.`;
  }

  error(control: AbstractControl): string {
    if (control.hasError('required')) return 'Choose a new password.';
    const policy = control.getError('passwordPolicy') as string | null;
    return policy ? `Password ${policy}.` : `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
  }
}
