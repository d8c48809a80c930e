import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, Injector, afterNextRender, inject, output, signal, viewChild } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import { readApiError } from '../../../core/auth/api-error';
import { FactorRemoved, Passkey, PasskeyAdded } from '../../../core/auth/api.types';
import { ListedPasskey } from '../../../core/passkeys/passkey-login.types';
import { PasskeysApi } from '../../../core/passkeys/passkeys.api';
import { relativeTime } from '../../../shared/relative-time';
import { TwoFactorStatusStore } from '../two-factor-status.store';
import { PASSKEY_NAME_MAX, PasskeyAdd, passkeyNameValidators } from './passkey-add';
import { PasskeyRemoveDialog } from './passkey-remove-dialog';

/**
 * "Passkeys and security keys": add one (PasskeyAdd), list them, rename, remove
 * (PasskeyRemoveDialog). A first passkey turns 2FA on: its backup codes are shown once by the
 * two-factor card.
 */
@Component({
  selector: 'app-passkeys-card',
  imports: [DatePipe, ReactiveFormsModule, PasskeyAdd, PasskeyRemoveDialog],
  templateUrl: './passkeys-card.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PasskeysCard {
  private readonly api = inject(PasskeysApi);
  private readonly status = inject(TwoFactorStatusStore);
  private readonly injector = inject(Injector);
  private readonly fb = inject(NonNullableFormBuilder);
  private readonly removeDialog = viewChild.required(PasskeyRemoveDialog);

  /** A passkey was added or removed: a 2FA change that ended every other session. */
  readonly changed = output<void>();

  protected readonly passkeys = signal<ListedPasskey[] | null>(null);
  protected readonly loadError = signal<string | null>(null);
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly statusText = signal('');
  protected readonly renamingId = signal<string | null>(null);
  protected readonly maxName = PASSKEY_NAME_MAX;
  protected readonly ago = (iso: string) => relativeTime(iso) || 'Unknown';

  protected readonly renameForm = this.fb.group({ name: ['', passkeyNameValidators] });

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

  protected onAdded({ passkey, backupCodes }: PasskeyAdded): void {
    this.passkeys.update((list) => [...(list ?? []), passkey]);
    this.statusText.set(`Added “${passkey.name}”.`);
    this.status.factorAdded('passkey', backupCodes);
    this.changed.emit();
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
        this.passkeys.update((list) => (list ?? []).map((p) => (p.id === updated.id ? { ...p, ...updated } : p)));
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
