import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, Injector, afterNextRender, inject, output, signal, viewChild } from '@angular/core';
import { AbstractControl, NonNullableFormBuilder, ReactiveFormsModule, ValidationErrors, Validators } from '@angular/forms';
import { describeProofError, readApiError } from '../../../core/auth/api-error';
import { FactorRemoved, Passkey, PasskeyCreationOptions } from '../../../core/auth/api.types';
import { PasskeysApi } from '../../../core/passkeys/passkeys.api';
import { WebAuthnClient, browserRefusalText } from '../../../core/passkeys/webauthn-client';
import { showControlError } from '../../../shared/form-state';
import { PasswordField } from '../../../shared/password-field';
import { relativeTime } from '../../../shared/relative-time';
import { TwoFactorStatusStore } from '../two-factor-status.store';
import { PasskeyRemoveDialog } from './passkey-remove-dialog';

export const PASSKEY_NAME_MAX = 64;

/** The API trims names and wants 1–64 characters: a name of spaces is no name. */
function nameValidator(control: AbstractControl<string>): ValidationErrors | null {
  return control.value.trim() === '' && control.value !== '' ? { required: true } : null;
}

/**
 * "Passkeys and security keys": add one (name → registration options, with the password on
 * REAUTH_REQUIRED → the browser's prompt → POST), list them, rename, remove (PasskeyRemoveDialog).
 * A first passkey turns 2FA on: its backup codes are shown once by the two-factor card.
 */
@Component({
  selector: 'app-passkeys-card',
  imports: [DatePipe, ReactiveFormsModule, PasswordField, PasskeyRemoveDialog],
  templateUrl: './passkeys-card.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PasskeysCard {
  private readonly api = inject(PasskeysApi);
  private readonly webauthn = inject(WebAuthnClient);
  private readonly status = inject(TwoFactorStatusStore);
  private readonly injector = inject(Injector);
  private readonly fb = inject(NonNullableFormBuilder);
  private readonly removeDialog = viewChild.required(PasskeyRemoveDialog);

  /** A passkey was added or removed: a 2FA change that ended every other session. */
  readonly changed = output<void>();

  protected readonly passkeys = signal<Passkey[] | null>(null);
  protected readonly loadError = signal<string | null>(null);
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly statusText = signal('');
  protected readonly askPassword = signal(false);
  protected readonly submitted = signal(false);
  protected readonly renamingId = signal<string | null>(null);
  protected readonly maxName = PASSKEY_NAME_MAX;
  protected readonly ago = (iso: string) => relativeTime(iso) || 'Unknown';

  protected readonly form = this.fb.group({
    name: ['', [Validators.required, Validators.maxLength(PASSKEY_NAME_MAX), nameValidator]],
    password: [{ value: '', disabled: true }, [Validators.required]],
  });
  protected readonly renameForm = this.fb.group({
    name: ['', [Validators.required, Validators.maxLength(PASSKEY_NAME_MAX), nameValidator]],
  });

  constructor() {
    this.reload();
  }

  reload(): void {
    this.loadError.set(null);
    this.api.list().subscribe({
      next: (list) => this.passkeys.set(list),
      error: (err: unknown) => {
        const e = readApiError(err);
        // An admin who must set up 2FA first may add a passkey, but has none to list yet.
        if (e.code === 'TWOFA_SETUP_REQUIRED') this.passkeys.set([]);
        else this.loadError.set(`Could not load your passkeys. ${e.message}`);
      },
    });
  }

  protected invalid(control: AbstractControl): boolean {
    return showControlError(control, this.submitted());
  }

  protected nameError(control: AbstractControl): string {
    return control.hasError('maxlength') ? `At most ${PASSKEY_NAME_MAX} characters.` : 'Give it a name, like “Work laptop”.';
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
    const pw = password.enabled ? password.value : undefined;
    this.busy.set(true);
    this.error.set(null);
    this.statusText.set('');
    this.api.registrationOptions(pw).subscribe({
      next: (options) => void this.create(name.value.trim(), options),
      error: (err: unknown) => {
        this.busy.set(false);
        this.submitted.set(false);
        const e = readApiError(err);
        if (e.code === 'REAUTH_REQUIRED' || (e.code === 'INVALID_PASSWORD' && !pw)) {
          this.askPassword.set(true);
          password.enable();
          password.reset();
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
  private async create(name: string, options: PasskeyCreationOptions): Promise<void> {
    let response;
    try {
      response = await this.webauthn.create(options);
    } catch (err: unknown) {
      this.busy.set(false);
      this.error.set(browserRefusalText(err));
      return;
    }
    this.api.add(name, response).subscribe({
      next: ({ passkey, backupCodes }) => {
        this.busy.set(false);
        this.submitted.set(false);
        this.passkeys.update((list) => [...(list ?? []), passkey]);
        this.form.reset();
        this.form.controls.password.disable();
        this.askPassword.set(false);
        this.statusText.set(`Added “${passkey.name}”.`);
        this.status.factorAdded('passkey', backupCodes);
        this.changed.emit();
      },
      error: (err: unknown) => {
        this.busy.set(false);
        this.error.set(readApiError(err).message);
      },
    });
  }

  protected startRename(passkey: Passkey): void {
    this.renameForm.reset({ name: passkey.name });
    this.renamingId.set(passkey.id);
    this.error.set(null);
    this.focus('#passkey-rename');
  }

  protected saveRename(passkey: Passkey): void {
    const control = this.renameForm.controls.name;
    if (control.invalid || this.busy()) {
      control.markAsTouched();
      return;
    }
    this.busy.set(true);
    this.api.rename(passkey.id, control.value.trim()).subscribe({
      next: (updated) => {
        this.busy.set(false);
        this.renamingId.set(null);
        this.passkeys.update((list) => (list ?? []).map((p) => (p.id === updated.id ? updated : p)));
        this.statusText.set(`Renamed to “${updated.name}”.`);
      },
      error: (err: unknown) => {
        this.busy.set(false);
        const e = readApiError(err);
        if (e.status === 404) this.reload();
        this.error.set(e.message);
      },
    });
  }

  protected remove(passkey: Passkey): void {
    this.error.set(null);
    this.removeDialog().open(passkey);
  }

  protected onRemoved({ passkey, result }: { passkey: Passkey; result: FactorRemoved }): void {
    this.passkeys.update((list) => (list ?? []).filter((p) => p.id !== passkey.id));
    this.statusText.set(
      result.twoFactorEnabled ? `Removed “${passkey.name}”.` : `Removed “${passkey.name}”. Two-factor authentication is now off.`,
    );
    this.status.passkeyRemoved(result.twoFactorEnabled);
    this.changed.emit();
  }

  private focus(selector: string): void {
    afterNextRender(() => document.querySelector<HTMLElement>(selector)?.focus(), { injector: this.injector });
  }
}
