import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, Injector, afterNextRender, computed, inject, input, output, viewChild } from '@angular/core';
import { ActivatedRoute, Router } from '@angular/router';
import { PasswordAndProof, TotpRemoved, TrustedDevice, TwoFactorSetupResponse } from '../../../core/auth/api.types';
import { SessionStore } from '../../../core/auth/session.store';
import { START_SETUP_PARAM } from '../../../core/two-factor/setup-flow';
import { TwoFactorApi } from '../../../core/two-factor/two-factor.api';
import { PasswordProofDialog } from '../../../shared/password-proof-dialog';
import { BackupCodesPanel } from '../backup-codes/backup-codes-panel';
import { RegenerateBackupCodes } from '../backup-codes/regenerate-backup-codes';
import { TotpSetup } from '../totp-setup/totp-setup';
import { SetupOutcome, TotpSetupStore } from '../totp-setup/totp-setup.store';
import { TwoFactorStatusStore } from '../two-factor-status.store';
import { DisableTwoFactorDialog } from './disable-two-factor-dialog';
import { RemoveTotpDialog } from './remove-totp-dialog';

/**
 * The two-factor card: the status, and one of loading / error / off / setup (TotpSetup) / the
 * backup codes shown once / on (regenerate codes, remove the app when passkeys stay, disable).
 */
export type OverviewStep = 'loading' | 'load-error' | 'off' | 'setup' | 'codes' | 'on';

@Component({
  selector: 'app-two-factor-overview',
  imports: [DatePipe, BackupCodesPanel, DisableTwoFactorDialog, PasswordProofDialog, RegenerateBackupCodes, RemoveTotpDialog, TotpSetup],
  templateUrl: './two-factor-overview.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TwoFactorOverview {
  protected readonly status = inject(TwoFactorStatusStore);
  protected readonly setup = inject(TotpSetupStore);
  protected readonly session = inject(SessionStore);
  private readonly router = inject(Router);
  private readonly route = inject(ActivatedRoute);
  private readonly injector = inject(Injector);
  private readonly disableDialog = viewChild.required(DisableTwoFactorDialog);
  private readonly removeTotpDialog = viewChild.required(RemoveTotpDialog);
  private readonly regenerateDialog = viewChild.required(RegenerateBackupCodes);
  private readonly addTotpDialog = viewChild.required<PasswordProofDialog<TwoFactorSetupResponse>>('addTotp');
  private readonly api = inject(TwoFactorApi);

  /** This browser's remembered-device entry (it skips the code step), from the devices card. */
  readonly rememberedHere = input<TrustedDevice | null>(null);
  /** 2FA changed: every other session and remembered device ended (DESIGN.md §4). */
  readonly changed = output<void>();
  /** Setup issued a key: the activity has a new entry. */
  readonly setupStarted = output<void>();

  protected readonly step = computed<OverviewStep>(() => {
    const state = this.status.state();
    if (state === 'loading') return 'loading';
    if (state === 'error') return 'load-error';
    if (this.status.shownCodes()) return 'codes';
    if (this.setup.step() !== 'idle') return 'setup';
    return this.status.enabled() ? 'on' : 'off';
  });

  /** How the next login's second step goes, in words. */
  protected readonly factorsText = computed(() => {
    const totp = this.status.totp();
    const passkeys = this.status.passkeys();
    if (totp && passkeys) return 'a code from your authenticator app or one of your passkeys';
    if (passkeys) return passkeys === 1 ? 'your passkey or security key' : 'one of your passkeys or security keys';
    return 'a code from your authenticator app';
  });

  constructor() {
    this.load();
  }

  protected load(): void {
    this.status.load(() => {
      if (this.setup.resumeWanted(this.takeStartLink())) this.startSetup();
    });
  }

  /**
   * "Enable" / "Set up an authenticator app". With 2FA on already (a passkey), the setup request
   * carries the password AND a second factor, asked before it is sent (rule 7).
   */
  protected startSetup(): void {
    if (!this.status.enabled()) {
      this.setup.begin(this.afterSetupRequest);
      return;
    }
    this.setup.reset();
    this.addTotpDialog().open(this.status.factors());
  }

  protected readonly setupWithProof = (body: PasswordAndProof) => this.api.setup(body);

  protected onSetupProven(data: TwoFactorSetupResponse): void {
    this.setup.showKey(data);
    this.setupStarted.emit();
  }

  protected acknowledgeCodes(): void {
    this.status.shownCodes.set(null);
    this.focus('#twofa-title');
  }

  protected onTotpEnabled(): void {
    this.changed.emit();
    if (!this.status.shownCodes()) this.focus('#twofa-title');
  }

  protected openRegenerate(): void {
    this.regenerateDialog().open(this.status.factors());
  }

  protected onRegenerated(codes: string[]): void {
    this.status.showCodes(codes, 'regenerated');
    this.changed.emit();
  }

  protected openDisable(): void {
    this.setup.reset();
    this.disableDialog().open();
  }

  protected openRemoveTotp(): void {
    this.setup.reset();
    this.removeTotpDialog().open();
  }

  /** The app is gone; the passkeys keep 2FA on (unless they went meanwhile: then it is off). */
  protected onTotpRemoved(result: TotpRemoved): void {
    if (!result.twoFactorEnabled) {
      this.onDisabled();
      return;
    }
    this.status.notice.set(result.message);
    this.status.load();
    this.changed.emit();
    this.focus('#twofa-title');
  }

  protected onDisabled(): void {
    this.status.turnedOff();
    this.setup.reset();
    this.status.notice.set('Two-factor authentication is off.');
    this.changed.emit();
    this.focus('#twofa-title');
  }

  private readonly afterSetupRequest = (outcome: SetupOutcome): void => {
    if (outcome === 'key') this.setupStarted.emit();
  };

  /** `/profile?setup=start` (the dashboard's link): start setup, and drop the parameter. */
  private takeStartLink(): boolean {
    if (!this.route.snapshot.queryParamMap.has(START_SETUP_PARAM)) return false;
    void this.router
      .navigate([], { relativeTo: this.route, queryParams: { [START_SETUP_PARAM]: null }, queryParamsHandling: 'merge', replaceUrl: true })
      .catch(() => undefined);
    return true;
  }

  private focus(selector: string): void {
    afterNextRender(() => document.querySelector<HTMLElement>(selector)?.focus(), { injector: this.injector });
  }
}
