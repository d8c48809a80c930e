import { Injectable, computed, inject, signal } from '@angular/core';
import { ApiError, attemptsText, describeProofError, readApiError, tooManyAttemptsText } from '../../../core/auth/api-error';
import { TwoFactorSetupResponse } from '../../../core/auth/api.types';
import { SessionStore } from '../../../core/auth/session.store';
import { ENROLMENT_LINK_TEXT, EnrolmentLink } from '../../../core/two-factor/enrolment-link';
import { SETUP_IN_PROGRESS_KEY } from '../../../core/two-factor/setup-flow';
import { TwoFactorApi } from '../../../core/two-factor/two-factor.api';
import { groupInFours } from '../../../shared/codes';
import { TwoFactorStatusStore } from '../two-factor-status.store';

/**
 * The authenticator-app setup, a small step machine:
 * idle → (password, when the login is over 10 minutes old) → key (QR + manual key + confirm code) → idle,
 * with the backup codes shown once by the status store when TOTP was the first factor. On an account
 * that already has 2FA (a passkey), the setup request carries the password AND a second factor,
 * asked by the overview's PasswordProofDialog before anything is sent; its answer comes in by `showKey`.
 * The proof is given once, at setup (DESIGN §6 rule 7): enable only confirms the key with `{token}`.
 */
export type TotpSetupStep = 'idle' | 'password' | 'key';

/** What the confirm form should do next: the setup is done, the code is asked again, or it starts over. */
export type ConfirmOutcome = 'enabled' | 'code' | 'expired';
/** After a setup request: the key is shown, the password is asked, or nothing changed. */
export type SetupOutcome = 'key' | 'password' | 'failed';

@Injectable()
export class TotpSetupStore {
  private readonly api = inject(TwoFactorApi);
  private readonly session = inject(SessionStore);
  private readonly status = inject(TwoFactorStatusStore);
  private readonly enrolment = inject(EnrolmentLink);

  readonly step = signal<TotpSetupStep>('idle');
  readonly setup = signal<TwoFactorSetupResponse | null>(null);
  readonly groupedKey = computed(() => groupInFours(this.setup()?.secret ?? ''));
  readonly busy = signal(false);
  readonly error = signal<string | null>(null);

  /**
   * "Enable": a fresh flow; this tab remembers it is under way (a reload continues it). After an
   * admin reset (rule 20) the password is asked first: it goes with the emailed link's token.
   */
  begin(done?: (outcome: SetupOutcome) => void): void {
    this.reset();
    if (this.enrolment.required()) {
      if (this.enrolment.token()) this.step.set('password');
      else this.error.set(ENROLMENT_LINK_TEXT);
      done?.(this.enrolment.token() ? 'password' : 'failed');
      return;
    }
    this.markInProgress(true);
    this.request(undefined, done);
  }

  submitPassword(password: string, done?: (outcome: SetupOutcome) => void): void {
    this.request(password, done);
  }

  /**
   * After the status is known: whether to continue a setup this tab had started (the API returns the
   * same key), or the dashboard's link asked for one. False (and forgotten) once the app is on.
   */
  resumeWanted(fromLink: boolean): boolean {
    const userId = this.session.user()?.id;
    // The flag names the user: another account logging in on this tab does not inherit it.
    const wanted = fromLink || (userId !== undefined && sessionStorage.getItem(SETUP_IN_PROGRESS_KEY) === userId);
    if (!wanted) return false;
    if (this.status.totp()) {
      this.markInProgress(false);
      return false;
    }
    return true;
  }

  /** The key of a setup whose request was proven elsewhere (the password AND a second factor). */
  showKey(data: TwoFactorSetupResponse): void {
    this.reset();
    this.markInProgress(true);
    this.setup.set(data);
    this.step.set('key');
  }

  /** The code from the app turns TOTP on (the setup that issued the key was the proven step). */
  confirm(token: string, done: (outcome: ConfirmOutcome) => void): void {
    if (this.busy()) return;
    this.busy.set(true);
    this.error.set(null);
    this.api.enable(token).subscribe({
      next: (res) => {
        this.busy.set(false);
        this.finish();
        this.enrolment.forget();
        this.status.factorAdded('totp', res.backupCodes);
        done('enabled');
      },
      error: (err: unknown) => {
        this.busy.set(false);
        done(this.enableRefused(readApiError(err)));
      },
    });
  }

  private enableRefused(e: ApiError): ConfirmOutcome {
    switch (e.code) {
      case 'NO_PENDING_SETUP':
        this.cancel();
        this.error.set('Your setup expired. Please start again.');
        return 'expired';
      case 'INVALID_CODE':
        // A replay or a phone clock that is off says so (how far, which way); otherwise a hint.
        this.error.set(
          e.reason
            ? describeProofError(e)
            : `That code didn’t work. Check the time on your phone and try the new code.${attemptsText(e.attemptsRemaining)}`,
        );
        return 'code';
      default:
        this.error.set(describe(e));
        return 'code';
    }
  }

  cancel(): void {
    this.markInProgress(false);
    this.reset();
  }

  reset(): void {
    this.setup.set(null);
    this.error.set(null);
    this.step.set('idle');
  }

  private request(password: string | undefined, done?: (outcome: SetupOutcome) => void): void {
    if (this.busy()) return;
    this.busy.set(true);
    this.error.set(null);
    this.api.setup(this.enrolment.setupProof(password)).subscribe({
      next: (data) => {
        this.busy.set(false);
        this.setup.set(data);
        this.step.set('key');
        done?.('key');
      },
      error: (err: unknown) => {
        this.busy.set(false);
        const e = readApiError(err);
        if (this.enrolmentRefused(e)) {
          done?.('failed');
          return;
        }
        if (e.code === 'REAUTH_REQUIRED' || e.code === 'INVALID_PASSWORD') {
          this.error.set(password ? 'Incorrect password.' : null);
          this.step.set('password');
          done?.('password');
          return;
        }
        if (e.code === 'TWOFA_ALREADY_ENABLED') {
          this.cancel();
          this.status.notice.set('Two-factor authentication is already on.');
          this.status.load();
        } else {
          this.error.set(describe(e));
        }
        done?.('failed');
      },
    });
  }

  /** The link is refused, expired or missing (rule 20): forgotten, and the user told where a new one is. */
  private enrolmentRefused(e: ApiError): boolean {
    const refused = e.code === 'ENROLMENT_LINK_INVALID' || e.code === 'ENROLMENT_LINK_EXPIRED';
    if (!refused && !(e.code === 'REAUTH_REQUIRED' && e.needs?.includes('enrolmentLink'))) return false;
    this.enrolment.forget();
    this.cancel();
    this.error.set(refused ? `${e.message}.` : ENROLMENT_LINK_TEXT);
    return true;
  }

  private finish(): void {
    this.markInProgress(false);
    this.reset();
  }

  private markInProgress(on: boolean): void {
    const userId = this.session.user()?.id;
    if (on && userId) sessionStorage.setItem(SETUP_IN_PROGRESS_KEY, userId);
    else sessionStorage.removeItem(SETUP_IN_PROGRESS_KEY);
  }
}

function describe(e: ApiError): string {
  return e.status === 429 ? tooManyAttemptsText(e.retryAfterSeconds) : e.message;
}
