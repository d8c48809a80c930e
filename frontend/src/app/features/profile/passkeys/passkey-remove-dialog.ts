import { ChangeDetectionStrategy, Component, computed, inject, output, signal, viewChild } from '@angular/core';
import { map } from 'rxjs';
import { FactorRemoved, Passkey, PasswordAndProof } from '../../../core/auth/api.types';
import { PasskeysApi } from '../../../core/passkeys/passkeys.api';
import { PasswordProofDialog } from '../../../shared/password-proof-dialog';
import { TwoFactorStatusStore } from '../two-factor-status.store';

/** A removed passkey and the API's answer (2FA is off when it was the last factor). */
export interface PasskeyRemoved {
  passkey: Passkey;
  result: FactorRemoved;
}

/**
 * "Remove" asks for the password AND another factor (a code from the app, a backup code, or a
 * passkey — the browser's prompt) in a modal <dialog>, like turning 2FA off.
 */
@Component({
  selector: 'app-passkey-remove-dialog',
  imports: [PasswordProofDialog],
  templateUrl: './passkey-remove-dialog.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PasskeyRemoveDialog {
  private readonly api = inject(PasskeysApi);
  private readonly status = inject(TwoFactorStatusStore);
  private readonly dialog = viewChild.required<PasswordProofDialog<PasskeyRemoved>>(PasswordProofDialog);

  readonly removed = output<PasskeyRemoved>();

  private readonly target = signal<Passkey | null>(null);
  protected readonly heading = computed(() => `Remove “${this.target()?.name ?? ''}”?`);

  protected readonly remove = (body: PasswordAndProof) => {
    const passkey = this.target()!;
    return this.api.remove(passkey.id, body).pipe(map((result) => ({ passkey, result })));
  };

  open(passkey: Passkey): void {
    this.target.set(passkey);
    // The key being removed can prove it too: "Use a passkey" is always offered here.
    this.dialog().open({ totp: this.status.totp(), passkeys: Math.max(1, this.status.passkeys()) });
  }
}
