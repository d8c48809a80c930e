import { ChangeDetectionStrategy, Component, Injector, afterNextRender, inject, output, signal, viewChild } from '@angular/core';
import { AbstractControl, NonNullableFormBuilder, ReactiveFormsModule, ValidationErrors, Validators } from '@angular/forms';
import { describeProofError, readApiError } from '../../../core/auth/api-error';
import { PasskeyAdded, PasskeyCreationOptions, PasswordAndProof } from '../../../core/auth/api.types';
import { PasskeysApi } from '../../../core/passkeys/passkeys.api';
import { WebAuthnClient, browserRefusalText } from '../../../core/passkeys/webauthn-client';
import { ENROLMENT_LINK_TEXT, EnrolmentLink } from '../../../core/two-factor/enrolment-link';
import { showControlError } from '../../../shared/form-state';
import { PasswordField } from '../../../shared/password-field';
import { PasswordProofDialog } from '../../../shared/password-proof-dialog';
import { TwoFactorStatusStore } from '../two-factor-status.store';

export const PASSKEY_NAME_MAX = 64;

/** The API trims names and wants 1–64 characters: a name of spaces is no name. */
export function passkeyNameValidator(control: AbstractControl<string>): ValidationErrors | null {
  return control.value.trim() === '' && control.value !== '' ? { required: true } : null;
}

export const passkeyNameValidators = [Validators.required, Validators.maxLength(PASSKEY_NAME_MAX), passkeyNameValidator];

/**
 * "Add a passkey or security key": a name → registration options → the browser's prompt → POST.
 * The proof goes with the registration options (DESIGN.md §6 rule 7): on an account with 2FA the
 * password AND a second factor, asked by PasswordProofDialog before anything is sent; without 2FA
 * nothing, or the password once the API answered REAUTH_REQUIRED (the login is over 10 minutes old);
 * after an admin reset the password at once, sent with the emailed link's token (rule 20).
 */
@Component({
  selector: 'app-passkey-add',
  imports: [ReactiveFormsModule, PasswordField, PasswordProofDialog],
  templateUrl: './passkey-add.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PasskeyAdd {
  private readonly api = inject(PasskeysApi);
  private readonly webauthn = inject(WebAuthnClient);
  private readonly status = inject(TwoFactorStatusStore);
  private readonly enrolment = inject(EnrolmentLink);
  private readonly injector = inject(Injector);
  private readonly proofDialog = viewChild.required<PasswordProofDialog<PasskeyCreationOptions>>(PasswordProofDialog);

  /** The API kept the new passkey (with backup codes when it is the first factor). */
  readonly added = output<PasskeyAdded>();

  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly askPassword = signal(false);
  protected readonly submitted = signal(false);
  protected readonly maxName = PASSKEY_NAME_MAX;

  protected readonly form = inject(NonNullableFormBuilder).group({
    name: ['', passkeyNameValidators],
    password: [{ value: '', disabled: true }, [Validators.required]],
  });

  constructor() {
    // After an admin reset the password goes with the link's token in the first request.
    if (this.enrolment.required() && this.enrolment.token()) this.askForPassword();
  }

  protected invalid(control: AbstractControl): boolean {
    return showControlError(control, this.submitted());
  }

  protected nameError(): string {
    return this.form.controls.name.hasError('maxlength') ? `At most ${PASSKEY_NAME_MAX} characters.` : 'Give it a name, like “Work laptop”.';
  }

  protected add(): void {
    this.submitted.set(true);
    if (this.busy()) return;
    const { name, password } = this.form.controls;
    if (name.invalid || password.invalid) {
      this.form.markAllAsTouched();
      this.focus(name.invalid ? '#passkey-name' : '#passkey-password');
      return;
    }
    this.error.set(null);
    if (this.enrolment.required() && !this.enrolment.token()) {
      this.error.set(ENROLMENT_LINK_TEXT);
      return;
    }
    if (this.status.enabled()) {
      this.proofDialog().open(this.status.factors());
      return;
    }
    this.requestOptions(password.enabled ? password.value : undefined);
  }

  /** The dialog's request: the registration options, proven by the password AND a second factor. */
  protected readonly optionsWithProof = (body: PasswordAndProof) => this.api.registrationOptions(body);

  /** The dialog closed with the options: the browser's prompt follows. */
  protected onProven(options: PasskeyCreationOptions): void {
    this.busy.set(true);
    void this.create(options);
  }

  /** An account without 2FA: no proof, or the password once asked for. */
  private requestOptions(pw: string | undefined): void {
    const { password } = this.form.controls;
    this.busy.set(true);
    this.api.registrationOptions(this.enrolment.setupProof(pw)).subscribe({
      next: (options) => void this.create(options),
      error: (err: unknown) => {
        this.busy.set(false);
        this.submitted.set(false);
        const e = readApiError(err);
        if (e.code === 'ENROLMENT_LINK_INVALID' || e.code === 'ENROLMENT_LINK_EXPIRED' || e.needs?.includes('enrolmentLink')) {
          this.enrolment.forget();
          this.error.set(e.code === 'REAUTH_REQUIRED' ? ENROLMENT_LINK_TEXT : `${e.message}.`);
          return;
        }
        if (e.needs?.includes('secondFactor')) {
          // 2FA was turned on elsewhere meanwhile: the status is stale.
          this.status.load(() => this.proofDialog().open(this.status.factors()));
          return;
        }
        if (e.code === 'REAUTH_REQUIRED' || (e.code === 'INVALID_PASSWORD' && !pw)) {
          this.askForPassword();
          this.focus('#passkey-password');
          return;
        }
        this.error.set(describeProofError(e));
        if (e.code === 'INVALID_PASSWORD') {
          password.reset();
          this.focus('#passkey-password');
        }
      },
    });
  }

  /** The browser's prompt, then the API keeps the credential. */
  private async create(options: PasskeyCreationOptions): Promise<void> {
    let response;
    try {
      response = await this.webauthn.create(options);
    } catch (err: unknown) {
      this.busy.set(false);
      this.error.set(browserRefusalText(err));
      return;
    }
    this.api.add(this.form.controls.name.value.trim(), response).subscribe({
      next: (result) => {
        this.busy.set(false);
        this.submitted.set(false);
        this.form.reset();
        this.form.controls.password.disable();
        this.askPassword.set(false);
        this.enrolment.forget();
        this.added.emit(result);
      },
      error: (err: unknown) => {
        this.busy.set(false);
        this.error.set(readApiError(err).message);
      },
    });
  }

  private askForPassword(): void {
    this.askPassword.set(true);
    this.form.controls.password.enable();
    this.form.controls.password.reset();
  }

  private focus(selector: string): void {
    afterNextRender(() => document.querySelector<HTMLElement>(selector)?.focus(), { injector: this.injector });
  }
}
