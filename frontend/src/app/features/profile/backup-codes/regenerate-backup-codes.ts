import {
  ChangeDetectionStrategy,
  Component,
  Injector,
  afterNextRender,
  inject,
  output,
  signal,
  viewChild,
} from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { describeProofError, readApiError } from '../../../core/auth/api-error';
import { TwoFactorProof } from '../../../core/auth/api.types';
import { TwoFactorApi } from '../../../core/two-factor/two-factor.api';
import { CodeField } from '../../../shared/code-field';
import { backupCodeValidator, normalizeBackupCode, normalizeTotpCode, totpCodeValidator } from '../../../shared/codes';
import { selectSecondFactor, showControlError, type SecondFactor } from '../../../shared/form-state';
import { PasswordField } from '../../../shared/password-field';

export const REAUTH_PROMPT = 'For your security, confirm your password to continue.';


/**
 * "New backup codes": a current code from the app (or a backup code), plus the password when the
 * API asks for it (REAUTH_REQUIRED: the login is over 10 minutes old).
 */
@Component({
  selector: 'app-regenerate-backup-codes',
  imports: [ReactiveFormsModule, CodeField, PasswordField],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <form [formGroup]="form" (ngSubmit)="submit()" novalidate class="subform" aria-labelledby="regenerate-title">
      <h3 id="regenerate-title">New backup codes</h3>
      <p>
        @if (factor() === 'code') {
          Enter a current code from your authenticator app.
        } @else {
          Enter one of your backup codes.
        }
        Your old backup codes will stop working.
      </p>
      @if (factor() === 'code') {
        <app-code-field #code inputId="regenerate-code" [control]="form.controls.code" [invalid]="showError('code')" />
      } @else {
        <app-code-field
          #code
          backup
          inputId="regenerate-backup-code"
          label="Backup code"
          hint="One of the codes you saved, like abcd-efgh."
          [error]="form.controls.backupCode.hasError('required') ? 'Enter a backup code.' : 'A backup code looks like abcd-efgh.'"
          [control]="form.controls.backupCode"
          [invalid]="showError('code')"
        />
      }
      <button type="button" class="btn btn-link" (click)="toggleFactor()" [disabled]="busy()">
        {{ factor() === 'code' ? 'Use a backup code instead' : 'Use a code from your app instead' }}
      </button>
      @if (form.controls.password.enabled) {
        <app-password-field
          #password
          inputId="regenerate-password"
          [control]="form.controls.password"
          [invalid]="showError('password')"
        />
      }
      @if (error(); as message) {
        <p class="form-error" role="alert">{{ message }}</p>
      }
      <div class="actions">
        <button type="submit" class="btn btn-primary" [disabled]="busy()" [attr.aria-busy]="busy()">Create new codes</button>
        <button type="button" class="btn" (click)="cancelled.emit()" [disabled]="busy()">Cancel</button>
      </div>
    </form>
  `,
})
export class RegenerateBackupCodes {
  private readonly api = inject(TwoFactorApi);
  private readonly injector = inject(Injector);
  private readonly codeInput = viewChild<CodeField>('code');
  private readonly passwordInput = viewChild<PasswordField>('password');

  /** The new codes (the old ones no longer work). */
  readonly regenerated = output<string[]>();
  readonly cancelled = output<void>();

  protected readonly factor = signal<SecondFactor>('code');
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly submitted = signal(false);

  protected readonly form = inject(NonNullableFormBuilder).group({
    code: ['', [Validators.required, totpCodeValidator]],
    backupCode: [{ value: '', disabled: true }, [Validators.required, backupCodeValidator]],
    password: [{ value: '', disabled: true }, [Validators.required]],
  });

  constructor() {
    afterNextRender(() => this.codeInput()?.focus());
  }

  protected showError(which: 'code' | 'password'): boolean {
    const control = which === 'code' ? this.secondFactorControl() : this.form.controls.password;
    return showControlError(control, this.submitted());
  }

  protected toggleFactor(): void {
    const next: SecondFactor = this.factor() === 'code' ? 'backup' : 'code';
    this.factor.set(next);
    this.error.set(null);
    this.submitted.set(false);
    selectSecondFactor(this.form.controls, next);
    this.focusSoon('code');
  }

  protected submit(): void {
    this.submitted.set(true);
    if (this.busy()) return;
    const second = this.secondFactorControl();
    const { password } = this.form.controls;
    if (second.invalid || password.invalid) {
      this.form.markAllAsTouched();
      this.focusSoon(second.invalid ? 'code' : 'password');
      return;
    }
    const proof: TwoFactorProof =
      this.factor() === 'code' ? { code: normalizeTotpCode(second.value) } : { backupCode: normalizeBackupCode(second.value) };
    const pw = password.enabled ? password.value : undefined;
    this.busy.set(true);
    this.error.set(null);
    this.api.regenerateBackupCodes(pw ? { ...proof, password: pw } : proof).subscribe({
      next: (res) => {
        this.busy.set(false);
        this.regenerated.emit(res.backupCodes);
      },
      error: (err: unknown) => {
        this.busy.set(false);
        this.submitted.set(false);
        const e = readApiError(err);
        if (e.code === 'REAUTH_REQUIRED' || (e.code === 'INVALID_PASSWORD' && !pw)) {
          password.enable();
          password.reset();
          this.error.set(`${REAUTH_PROMPT} Enter a new code if the first one has changed.`);
          this.focusSoon('password');
          return;
        }
        this.error.set(describeProofError(e, this.factor() === 'code' ? 'code' : 'backupCode'));
        if (e.code === 'INVALID_PASSWORD') {
          password.reset();
          this.focusSoon('password');
        } else if (e.status !== 429) {
          second.reset();
          this.focusSoon('code');
        }
      },
    });
  }

  private secondFactorControl() {
    return this.factor() === 'code' ? this.form.controls.code : this.form.controls.backupCode;
  }

  private focusSoon(which: 'code' | 'password'): void {
    afterNextRender(() => (which === 'code' ? this.codeInput() : this.passwordInput())?.focus(), {
      injector: this.injector,
    });
  }
}
