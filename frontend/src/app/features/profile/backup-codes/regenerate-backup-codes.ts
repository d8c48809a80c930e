import { ChangeDetectionStrategy, Component, Injector, OnInit, afterNextRender, inject, input, output, viewChild } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { map } from 'rxjs';
import { readApiError } from '../../../core/auth/api-error';
import { TwoFactorApi } from '../../../core/two-factor/two-factor.api';
import { showControlError } from '../../../shared/form-state';
import { PasswordField } from '../../../shared/password-field';
import { CODE_FIRST, ProofFormField, ProofRequest, proofRequest } from '../../../shared/proof-request';
import { SecondFactorProofFields } from '../../../shared/second-factor-proof';

export const REAUTH_PROMPT = 'For your security, confirm your password to continue.';

/**
 * "New backup codes": a current code from the app, a backup code or a passkey, plus the password
 * when the API asks for it (REAUTH_REQUIRED: the login is over 10 minutes old).
 */
@Component({
  selector: 'app-regenerate-backup-codes',
  imports: [ReactiveFormsModule, PasswordField, SecondFactorProofFields],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <form [formGroup]="form" (ngSubmit)="request.submit()" novalidate class="subform" aria-labelledby="regenerate-title">
      <h3 id="regenerate-title">New backup codes</h3>
      <p>
        @if (proof.method() === 'code') {
          Enter a current code from your authenticator app{{ passkeys() > 0 ? ', or use a passkey' : '' }}.
        } @else {
          Enter one of your backup codes{{ passkeys() > 0 ? ', or use a passkey' : '' }}.
        }
        Your old backup codes will stop working.
      </p>
      <app-second-factor-proof
        idPrefix="regenerate"
        backupHint="One of the codes you saved, like abcd-efgh."
        [proof]="proof"
        [submitted]="request.submitted()"
        [busy]="request.busy()"
        (switched)="request.switched()"
        (passkeyRequested)="request.usePasskey()"
      />
      @if (form.controls.password.enabled) {
        <app-password-field
          #password
          inputId="regenerate-password"
          [control]="form.controls.password"
          [invalid]="showPasswordError()"
        />
      }
      @if (request.error(); as message) {
        <p class="form-error" role="alert">{{ message }}</p>
      }
      <div class="actions">
        <button type="submit" class="btn btn-primary" [disabled]="request.busy() || proof.locked()" [attr.aria-busy]="request.busy()">Create new codes</button>
        <button type="button" class="btn" (click)="cancelled.emit()" [disabled]="request.busy()">Cancel</button>
      </div>
    </form>
  `,
})
export class RegenerateBackupCodes implements OnInit {
  private readonly api = inject(TwoFactorApi);
  private readonly injector = inject(Injector);
  private readonly proofFields = viewChild(SecondFactorProofFields);
  private readonly passwordInput = viewChild<PasswordField>('password');

  /** The account has the authenticator app (else a backup code or a passkey is the proof). */
  readonly totp = input(true);
  /** How many passkeys the account has: with one, "Use a passkey" is offered. */
  readonly passkeys = input(0);

  /** The new codes (the old ones no longer work). */
  readonly regenerated = output<string[]>();
  readonly cancelled = output<void>();

  protected readonly request: ProofRequest<string[]> = proofRequest<string[]>({
    ready: (typed) => this.request.checkFields(typed, this.form.controls.password, (field) => this.focusSoon(field), CODE_FIRST),
    call: (proof) => {
      const { password } = this.form.controls;
      const pw = password.enabled ? password.value : undefined;
      this.sentPassword = !!pw;
      return this.api.regenerateBackupCodes(pw ? { ...proof, password: pw } : proof).pipe(map((res) => res.backupCodes));
    },
    succeeded: (codes) => this.regenerated.emit(codes),
    refused: (err, sent) => this.refused(err, sent && this.sentPassword),
  });
  protected readonly proof = this.request.proof;
  private sentPassword = false;

  protected readonly form = inject(NonNullableFormBuilder).group({
    proof: this.proof.group,
    password: [{ value: '', disabled: true }, [Validators.required]],
  });

  constructor() {
    afterNextRender(() => this.proofFields()?.focus());
  }

  ngOnInit(): void {
    this.proof.reset({ totp: this.totp(), passkeys: this.passkeys() });
  }

  protected showPasswordError(): boolean {
    return showControlError(this.form.controls.password, this.request.submitted());
  }

  private refused(err: unknown, sentPassword: boolean): void {
    const { password } = this.form.controls;
    const e = readApiError(err);
    if (e.code === 'REAUTH_REQUIRED' || (e.code === 'INVALID_PASSWORD' && !sentPassword)) {
      password.enable();
      password.reset();
      this.request.error.set(`${REAUTH_PROMPT} Enter a new code if the first one has changed.`);
      this.focusSoon('password');
      return;
    }
    const api = this.request.showRefusal(err);
    if (api?.code === 'INVALID_PASSWORD') {
      password.reset();
      this.focusSoon('password');
    } else if (api && api.status !== 429) {
      // Refused: a code or backup code cannot be sent again.
      this.proof.control().reset();
      this.focusSoon('code');
    }
  }

  private focusSoon(which: ProofFormField): void {
    afterNextRender(() => (which === 'code' ? this.proofFields()?.focus() : this.passwordInput()?.focus()), {
      injector: this.injector,
    });
  }
}
