import { ChangeDetectionStrategy, Component, inject, input, output, viewChild } from '@angular/core';
import { MessageResponse, PasswordAndProof } from '../../../core/auth/api.types';
import { TwoFactorApi } from '../../../core/two-factor/two-factor.api';
import { PasswordProofDialog } from '../../../shared/password-proof-dialog';

/**
 * "Disable" asks for both factors in a real modal <dialog>: the password AND a current code from
 * the authenticator app (or a backup code, or a passkey). DESIGN.md §6 rule 7.
 */
@Component({
  selector: 'app-disable-two-factor-dialog',
  imports: [PasswordProofDialog],
  templateUrl: './disable-two-factor-dialog.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DisableTwoFactorDialog {
  private readonly api = inject(TwoFactorApi);
  private readonly dialog = viewChild.required<PasswordProofDialog<MessageResponse>>(PasswordProofDialog);

  /** The account has the authenticator app (else a backup code or a passkey is the second factor). */
  readonly totp = input(true);
  /** How many passkeys the account has: with one, "Use a passkey" is offered. */
  readonly passkeys = input(0);

  /** Emitted after the API confirmed that two-factor authentication is off. */
  readonly disabled = output<void>();

  protected readonly disable = (body: PasswordAndProof) => this.api.disable(body);

  open(): void {
    this.dialog().open({ totp: this.totp(), passkeys: this.passkeys() });
  }

  close(): void {
    this.dialog().close();
  }
}
