import { ChangeDetectionStrategy, Component, inject, input, output, viewChild } from '@angular/core';
import { PasswordAndProof, TotpRemoved } from '../../../core/auth/api.types';
import { TwoFactorApi } from '../../../core/two-factor/two-factor.api';
import { PasswordProofDialog } from '../../../shared/password-proof-dialog';

/**
 * "Remove authenticator app" (POST /auth/2fa/totp/remove) for an account that also has passkeys:
 * the app stops working, the passkeys and backup codes stay, 2FA stays on. Like every factor
 * change it needs the password AND a second factor (a code from the app, a backup code or a passkey).
 */
@Component({
  selector: 'app-remove-totp-dialog',
  imports: [PasswordProofDialog],
  templateUrl: './remove-totp-dialog.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RemoveTotpDialog {
  private readonly api = inject(TwoFactorApi);
  private readonly dialog = viewChild.required<PasswordProofDialog<TotpRemoved>>(PasswordProofDialog);

  /** How many passkeys the account has (they stay). */
  readonly passkeys = input(0);

  /** The API's answer: `twoFactorEnabled` false only if the app was the last factor after all. */
  readonly removed = output<TotpRemoved>();

  protected readonly removeTotp = (body: PasswordAndProof) => this.api.removeTotp(body);

  open(): void {
    this.dialog().open({ totp: true, passkeys: this.passkeys() });
  }
}
