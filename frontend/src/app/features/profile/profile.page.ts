import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, Injector, afterNextRender, computed, inject, signal, viewChild } from '@angular/core';
import { FormControl, NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { QRCodeComponent } from 'angularx-qrcode';
import { ActivatedRoute, Router } from '@angular/router';
import { ApiError, attemptsText, describeProofError, formatWait, readApiError } from '../../core/auth/api-error';
import { TrustedDevice, TwoFactorSetupResponse } from '../../core/auth/api.types';
import { AuthService } from '../../core/auth/auth.service';
import { TwoFactorApi } from '../../core/two-factor/two-factor.api';
import { SETUP_IN_PROGRESS_KEY, START_SETUP_PARAM } from '../../core/two-factor/setup-flow';
import { groupInFours, normalizeTotpCode, totpCodeValidator } from '../../shared/codes';
import { CodeField } from '../../shared/code-field';
import { copyText } from '../../shared/download';
import { showControlError } from '../../shared/form-state';
import { PasswordField } from '../../shared/password-field';
import { BackupCodesPanel } from './backup-codes-panel';
import { DisableTwoFactorDialog } from './disable-two-factor-dialog';
import { REAUTH_PROMPT, RegenerateBackupCodes } from './regenerate-backup-codes';
import { SecurityActivity } from './security-activity';
import { SessionsCard } from './sessions/sessions-card';
import { TrustedDevicesCard } from './trusted-devices/trusted-devices-card';
import { ChangePasswordCard } from '../change-password/change-password-card';

/**
 * The two-factor card is a small state machine:
 * off → (reauth) → setup (QR + key + confirm code) → codes (shown once) → on → (disable dialog) → off.
 */
export type TwoFactorStep = 'loading' | 'load-error' | 'off' | 'reauth' | 'setup' | 'codes' | 'on';

export { REAUTH_PROMPT };

@Component({
  selector: 'app-profile-page',
  imports: [
    ReactiveFormsModule,
    DatePipe,
    QRCodeComponent,
    BackupCodesPanel,
    DisableTwoFactorDialog,
    RegenerateBackupCodes,
    SecurityActivity,
    SessionsCard,
    TrustedDevicesCard,
    ChangePasswordCard,
    CodeField,
    PasswordField,
  ],
  templateUrl: './profile.page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ProfilePage {
  protected readonly auth = inject(AuthService);
  private readonly twoFactor = inject(TwoFactorApi);
  private readonly injector = inject(Injector);
  private readonly fb = inject(NonNullableFormBuilder);
  private readonly router = inject(Router);
  private readonly route = inject(ActivatedRoute);

  private readonly disableDialog = viewChild.required(DisableTwoFactorDialog);
  private readonly activity = viewChild(SecurityActivity);
  private readonly sessions = viewChild(SessionsCard);
  private readonly devices = viewChild(TrustedDevicesCard);

  readonly step = signal<TwoFactorStep>('loading');
  readonly enabled = signal(false);
  /** The API answered TWOFA_SETUP_REQUIRED (an admin whose role /auth/me did not say yet). */
  private readonly setupRequiredByApi = signal(false);
  /**
   * An ADMIN without 2FA may only set it up (DESIGN §6.9): every other card would fail, so only the
   * two-factor card is shown.
   */
  protected readonly setupRequired = computed(() => {
    if (this.enabled()) return false;
    const user = this.auth.user();
    // issue 14: /auth/me says whether 2FA is required yet (grace period); a login answer does not
    return this.setupRequiredByApi() || (!!user && !user.twoFactorEnabled && (user.twoFactorRequirement?.blocked ?? user.role === 'ADMIN'));
  });
  protected readonly backupCodesRemaining = signal<number | null>(null);
  protected readonly setupData = signal<TwoFactorSetupResponse | null>(null);
  protected readonly groupedKey = computed(() => groupInFours(this.setupData()?.secret ?? ''));
  protected readonly backupCodes = signal<string[]>([]);
  protected readonly codesReason = signal<'enabled' | 'regenerated'>('enabled');
  protected readonly error = signal<string | null>(null);
  protected readonly notice = signal<string | null>(null);
  protected readonly busy = signal(false);
  protected readonly keyCopied = signal('');
  /** The API asked for the password during the current flow (REAUTH_REQUIRED). */
  protected readonly needsPassword = signal(false);
  protected readonly regenerateOpen = signal(false);
  protected readonly submitted = signal(false);
  /** This browser's remembered-device entry (it skips the code step), from the devices card. */
  protected readonly rememberedHere = signal<TrustedDevice | null>(null);

  /** The password given at the re-auth prompt, reused for the enable call of the same flow only. */
  private flowPassword: string | null = null;

  protected readonly reauthForm = this.fb.group({ password: ['', [Validators.required]] });
  protected readonly confirmForm = this.fb.group({
    token: ['', [Validators.required, totpCodeValidator]],
    password: [{ value: '', disabled: true }, [Validators.required]],
  });

  constructor() {
    this.loadStatus();
  }

  /** Setup was under way in this tab (a reload), or the page was opened to start it. */
  private setupWanted(): boolean {
    const fromLink = this.route.snapshot.queryParamMap.has(START_SETUP_PARAM);
    if (fromLink) {
      // Drop the parameter: from now on the tab's own flag says whether setup is under way.
      void this.router
        .navigate([], { relativeTo: this.route, queryParams: { [START_SETUP_PARAM]: null }, queryParamsHandling: 'merge', replaceUrl: true })
        .catch(() => undefined);
    }
    // The flag names the user: another account logging in on this tab does not inherit it.
    const userId = this.auth.user()?.id;
    return fromLink || (userId !== undefined && sessionStorage.getItem(SETUP_IN_PROGRESS_KEY) === userId);
  }

  private setSetupInProgress(on: boolean): void {
    const userId = this.auth.user()?.id;
    if (on && userId) sessionStorage.setItem(SETUP_IN_PROGRESS_KEY, userId);
    else sessionStorage.removeItem(SETUP_IN_PROGRESS_KEY);
  }

  protected invalid(control: FormControl<string>): boolean {
    return showControlError(control, this.submitted());
  }

  loadStatus(): void {
    this.step.set('loading');
    this.error.set(null);
    this.twoFactor.status().subscribe({
      next: (status) => {
        this.enabled.set(status.enabled);
        this.backupCodesRemaining.set(status.backupCodesRemaining);
        this.step.set(status.enabled ? 'on' : 'off');
        this.resumeSetup();
      },
      error: (err: unknown) => {
        const e = readApiError(err);
        if (e.code === 'TWOFA_SETUP_REQUIRED') {
          // An ADMIN without 2FA may only set it up: fall back on what /auth/me said.
          const on = this.auth.user()?.twoFactorEnabled ?? false;
          this.enabled.set(on);
          this.setupRequiredByApi.set(!on);
          this.notice.set('Your account requires two-factor authentication. Please turn it on to continue.');
          this.step.set(on ? 'on' : 'off');
          this.resumeSetup();
        } else {
          this.error.set(`Could not load your two-factor status. ${e.message}`);
          this.step.set('load-error');
        }
      },
    });
  }

  // ----------------------------------------------------------------- enable

  startSetup(): void {
    this.resetFlow();
    this.setSetupInProgress(true);
    this.requestSetup();
  }

  /** After the status is known: continue a setup this tab had started (the API returns the same key). */
  private resumeSetup(): void {
    if (!this.setupWanted()) return;
    if (this.enabled()) {
      this.setSetupInProgress(false);
      return;
    }
    this.startSetup();
  }

  protected submitReauth(): void {
    this.submitted.set(true);
    const control = this.reauthForm.controls.password;
    if (control.invalid) {
      control.markAsTouched();
      this.focus('#reauth-password');
      return;
    }
    this.requestSetup(control.value);
  }

  private requestSetup(password?: string): void {
    if (this.busy()) return;
    this.busy.set(true);
    this.error.set(null);
    this.twoFactor.setup(password).subscribe({
      next: (data) => {
        this.busy.set(false);
        this.flowPassword = password ?? null;
        this.setupData.set(data);
        this.confirmForm.reset();
        this.syncPasswordControl(this.confirmForm.controls.password);
        this.submitted.set(false);
        this.step.set('setup');
        this.activity()?.reload();
      },
      error: (err: unknown) => {
        this.busy.set(false);
        const e = readApiError(err);
        if (e.code === 'REAUTH_REQUIRED' || e.code === 'INVALID_PASSWORD') {
          this.needsPassword.set(true);
          this.reauthForm.reset();
          this.submitted.set(false);
          this.error.set(password ? 'Incorrect password.' : null);
          this.step.set('reauth');
          this.focus('#reauth-password');
        } else if (e.code === 'TWOFA_ALREADY_ENABLED') {
          this.setSetupInProgress(false);
          this.notice.set('Two-factor authentication is already on.');
          this.loadStatus();
        } else {
          this.error.set(this.describe(e));
        }
      },
    });
  }

  protected copyKey(): void {
    const secret = this.setupData()?.secret ?? '';
    void copyText(secret).then((ok) =>
      this.keyCopied.set(ok ? 'Key copied.' : 'Copying is not available here: select the key and copy it.'),
    );
  }

  protected confirm(): void {
    this.submitted.set(true);
    if (this.busy()) return;
    if (this.confirmForm.invalid) {
      this.confirmForm.markAllAsTouched();
      this.focus(this.confirmForm.controls.token.invalid ? '#confirm-code' : '#confirm-password');
      return;
    }
    const { token, password } = this.confirmForm.getRawValue();
    const pw = this.needsPassword() && this.confirmForm.controls.password.enabled ? password : this.flowPassword;
    this.busy.set(true);
    this.error.set(null);
    this.twoFactor.enable(normalizeTotpCode(token), pw ?? undefined).subscribe({
      next: (res) => {
        this.busy.set(false);
        this.enabled.set(true);
        this.backupCodesRemaining.set(res.backupCodes.length);
        this.notice.set(null);
        this.showCodes(res.backupCodes, 'enabled');
      },
      error: (err: unknown) => {
        this.busy.set(false);
        const e = readApiError(err);
        this.submitted.set(false);
        switch (e.code) {
          case 'REAUTH_REQUIRED':
          case 'INVALID_PASSWORD':
            this.flowPassword = null;
            this.needsPassword.set(true);
            this.confirmForm.controls.password.enable();
            this.confirmForm.controls.password.reset();
            this.error.set(pw ? 'Incorrect password.' : REAUTH_PROMPT);
            this.focus('#confirm-password');
            return;
          case 'NO_PENDING_SETUP':
            this.setSetupInProgress(false);
            this.resetFlow();
            this.step.set('off');
            this.error.set('Your setup expired. Please start again.');
            return;
          case 'INVALID_CODE':
            // A replay or a phone clock that is off says so (how far, which way); otherwise a hint.
            this.error.set(
              e.reason
                ? describeProofError(e)
                : `That code didn’t work. Check the time on your phone and try the new code.${attemptsText(e.attemptsRemaining)}`,
            );
            break;
          default:
            this.error.set(this.describe(e));
        }
        this.confirmForm.controls.token.reset();
        this.focus('#confirm-code');
      },
    });
  }

  protected cancelSetup(): void {
    this.setSetupInProgress(false);
    this.resetFlow();
    this.step.set('off');
  }

  private showCodes(codes: string[], reason: 'enabled' | 'regenerated'): void {
    this.setSetupInProgress(false);
    this.flowPassword = null;
    this.setupData.set(null);
    this.backupCodes.set(codes);
    this.codesReason.set(reason);
    this.step.set('codes');
    this.reloadLists();
  }

  protected acknowledgeCodes(): void {
    this.backupCodes.set([]);
    this.resetFlow();
    this.step.set('on');
    this.focus('#twofa-title');
  }

  // ------------------------------------------------------ regenerate codes

  protected openRegenerate(): void {
    this.error.set(null);
    this.regenerateOpen.set(true);
  }

  protected cancelRegenerate(): void {
    this.regenerateOpen.set(false);
    this.focus('#regenerate-open');
  }

  protected onRegenerated(codes: string[]): void {
    this.regenerateOpen.set(false);
    this.backupCodesRemaining.set(codes.length);
    this.showCodes(codes, 'regenerated');
  }

  // ---------------------------------------------------------------- disable

  protected openDisable(): void {
    this.error.set(null);
    this.disableDialog().open();
  }

  protected onDisabled(): void {
    this.enabled.set(false);
    this.backupCodesRemaining.set(null);
    this.resetFlow();
    this.notice.set('Two-factor authentication is off.');
    this.rememberedHere.set(null);
    this.step.set('off');
    this.reloadLists();
    this.focus('#twofa-title');
  }

  /** Enable, disable and new backup codes end every other session and remembered device (DESIGN.md §4). */
  protected reloadLists(): void {
    this.activity()?.reload();
    this.sessions()?.reload();
    if (this.enabled()) this.devices()?.reload(); // after "disable" the card goes away
  }

  // ---------------------------------------------------------------- helpers

  private resetFlow(): void {
    this.flowPassword = null;
    this.needsPassword.set(false);
    this.setupData.set(null);
    this.keyCopied.set('');
    this.error.set(null);
    this.submitted.set(false);
    this.regenerateOpen.set(false);
  }

  private syncPasswordControl(control: FormControl<string>): void {
    if (this.needsPassword() && this.flowPassword === null) control.enable();
    else control.disable();
  }

  private describe(e: ApiError): string {
    if (e.status === 429) return `Too many attempts. Please wait ${formatWait(e.retryAfterSeconds)} before trying again.`;
    return e.message;
  }

  private focus(selector: string): void {
    afterNextRender(
      () => {
        const el = document.querySelector<HTMLElement>(selector);
        el?.focus();
      },
      { injector: this.injector },
    );
  }
}
