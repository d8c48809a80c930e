import { ChangeDetectionStrategy, Component, inject, output, viewChild } from '@angular/core';
import { map } from 'rxjs';
import { PasswordAndProof } from '../../../core/auth/api.types';
import { TwoFactorApi } from '../../../core/two-factor/two-factor.api';
import { AccountFactors } from '../../../shared/second-factor-proof';
import { PasswordProofDialog } from '../../../shared/password-proof-dialog';

/**
 * "New backup codes": the password AND a current code, a backup code or a passkey, asked together
 * before anything is sent (DESIGN.md §6 rule 7; a recent login is not enough).
 */
@Component({
  selector: 'app-regenerate-backup-codes',
  imports: [PasswordProofDialog],
  template: `
    <app-password-proof-dialog
      idPrefix="regenerate"
      heading="New backup codes"
      submitLabel="Create new codes"
      [action]="regenerate"
      (done)="regenerated.emit($event)"
    >
      Your old backup codes will stop working.
    </app-password-proof-dialog>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RegenerateBackupCodes {
  private readonly api = inject(TwoFactorApi);
  private readonly dialog = viewChild.required<PasswordProofDialog<string[]>>(PasswordProofDialog);

  /** The new codes (the old ones no longer work). */
  readonly regenerated = output<string[]>();

  protected readonly regenerate = (body: PasswordAndProof) => this.api.regenerateBackupCodes(body).pipe(map((res) => res.backupCodes));

  open(factors: AccountFactors): void {
    this.dialog().open(factors);
  }
}
