import { ChangeDetectionStrategy, Component, Injector, afterNextRender, inject, output, signal } from '@angular/core';
import { FormControl, NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { QRCodeComponent } from 'angularx-qrcode';
import { normalizeTotpCode, totpCodeValidator } from '../../../shared/codes';
import { CodeField } from '../../../shared/code-field';
import { copyText } from '../../../shared/download';
import { showControlError } from '../../../shared/form-state';
import { PasswordField } from '../../../shared/password-field';
import { TotpSetupStore } from './totp-setup.store';

/** The authenticator-app setup's password and key steps (the state lives in TotpSetupStore). */
@Component({
  selector: 'app-totp-setup',
  imports: [ReactiveFormsModule, QRCodeComponent, CodeField, PasswordField],
  templateUrl: './totp-setup.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TotpSetup {
  protected readonly store = inject(TotpSetupStore);
  private readonly injector = inject(Injector);
  private readonly fb = inject(NonNullableFormBuilder);

  /** TOTP is on (backup codes, if any, are shown by the overview). */
  readonly enabled = output<void>();
  /** The API issued the key: the activity has a new entry. */
  readonly keyShown = output<void>();

  protected readonly submitted = signal(false);
  protected readonly keyCopied = signal('');

  protected readonly passwordForm = this.fb.group({ password: ['', [Validators.required]] });
  protected readonly confirmForm = this.fb.group({
    token: ['', [Validators.required, totpCodeValidator]],
  });

  constructor() {
    if (this.store.step() === 'password') this.focus('#reauth-password');
  }

  protected invalid(control: FormControl<string>): boolean {
    return showControlError(control, this.submitted());
  }

  protected submitPassword(): void {
    this.submitted.set(true);
    const control = this.passwordForm.controls.password;
    if (control.invalid) {
      control.markAsTouched();
      this.focus('#reauth-password');
      return;
    }
    this.store.submitPassword(control.value, (outcome) => {
      this.submitted.set(false);
      if (outcome === 'key') this.keyShown.emit();
      if (outcome === 'password') {
        this.passwordForm.reset();
        this.focus('#reauth-password');
      }
    });
  }

  protected copyKey(): void {
    void copyText(this.store.setup()?.secret ?? '').then((ok) =>
      this.keyCopied.set(ok ? 'Key copied.' : 'Copying is not available here: select the key and copy it.'),
    );
  }

  protected confirm(): void {
    this.submitted.set(true);
    if (this.store.busy()) return;
    const { token } = this.confirmForm.controls;
    if (token.invalid) {
      token.markAsTouched();
      this.focus('#confirm-code');
      return;
    }
    this.store.confirm(normalizeTotpCode(token.value), (outcome) => {
      this.submitted.set(false);
      if (outcome === 'enabled') {
        this.enabled.emit();
      } else if (outcome === 'code') {
        token.reset();
        this.focus('#confirm-code');
      }
    });
  }

  protected cancel(): void {
    this.store.cancel();
  }

  private focus(selector: string): void {
    afterNextRender(() => document.querySelector<HTMLElement>(selector)?.focus(), { injector: this.injector });
  }
}
