import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  Injector,
  afterNextRender,
  inject,
  input,
  output,
  signal,
  viewChild,
} from '@angular/core';
import { FormControl, FormGroup, Validators } from '@angular/forms';
import { firstValueFrom } from 'rxjs';
import { ApiError, attemptsText, describeProofError, readApiError } from '../core/auth/api-error';
import { PasskeyProof, TwoFactorProof } from '../core/auth/api.types';
import { PasskeysApi } from '../core/passkeys/passkeys.api';
import { PASSKEY_REFUSED, WebAuthnClient, browserRefusal, browserRefusalText } from '../core/passkeys/webauthn-client';
import { CodeField } from './code-field';
import { backupCodeValidator, normalizeBackupCode, normalizeTotpCode, totpCodeValidator } from './codes';
import { selectSecondFactor, showControlError, type SecondFactor } from './form-state';

/** Which second factors the account has (GET /auth/2fa/status: `totp`, `passkeys`). */
export interface AccountFactors {
  totp: boolean;
  passkeys: number;
}

/** What a refused proof attempt means for the form around it. */
export interface ProofRefusal {
  /** The words to show. */
  text: string;
  /** The API's answer; null when the browser refused the passkey prompt. */
  api: ApiError | null;
}

/**
 * The second factor that confirms a sensitive change (disable 2FA, remove a passkey or the
 * authenticator app, new backup codes, a new password): a current code from the app, a backup code,
 * or a passkey (POST /auth/2fa/passkeys/proof-options → the browser's prompt). One of these per form;
 * the form owns the password and the request, this owns the choice of factor, its fields' values,
 * the passkey ceremony, the words for a refusal and the wait after a 429.
 *
 * An account without the authenticator app starts on the backup code (a code field would be a dead
 * end) and is not offered the app.
 */
export class SecondFactorProofState {
  private readonly passkeysApi = inject(PasskeysApi);
  private readonly webauthn = inject(WebAuthnClient);
  private lockTimer: ReturnType<typeof setTimeout> | undefined;

  readonly method = signal<SecondFactor>('code');
  readonly totp = signal(true);
  readonly passkeys = signal(0);
  /** After a 429: the buttons that send a proof wait for Retry-After. */
  readonly locked = signal(false);

  /** Nest it in the form's group (`proof: state.group`): only the chosen field is enabled. */
  readonly group = new FormGroup({
    code: new FormControl('', { nonNullable: true, validators: [Validators.required, totpCodeValidator] }),
    backupCode: new FormControl({ value: '', disabled: true }, { nonNullable: true, validators: [Validators.required, backupCodeValidator] }),
  });

  constructor() {
    inject(DestroyRef).onDestroy(() => clearTimeout(this.lockTimer));
  }

  /** A fresh start for the given account: the app's code when it has the app, else a backup code. */
  reset(factors: AccountFactors): void {
    this.totp.set(factors.totp);
    this.passkeys.set(factors.passkeys);
    this.select(factors.totp ? 'code' : 'backup');
  }

  /** "Use a backup code instead" / "Use a code from your app instead". */
  toggle(): void {
    this.select(this.method() === 'code' ? 'backup' : 'code');
  }

  /** The field in use. */
  control(): FormControl<string> {
    return this.method() === 'code' ? this.group.controls.code : this.group.controls.backupCode;
  }

  invalid(): boolean {
    return this.control().invalid;
  }

  /** The typed factor, as the API takes it. */
  value(): TwoFactorProof {
    const value = this.control().value;
    return this.method() === 'code' ? { code: normalizeTotpCode(value) } : { backupCode: normalizeBackupCode(value) };
  }

  /** A passkey assertion for this session's proof challenge (rejects with the API's or the browser's error). */
  async passkey(): Promise<PasskeyProof> {
    const options = await firstValueFrom(this.passkeysApi.proofOptions());
    return { passkey: await this.webauthn.get(options) };
  }

  /**
   * The words for a failed attempt. A 429 locks for the wait; a refused code is cleared (wrong,
   * replayed or spent, it cannot be sent again).
   */
  refusal(err: unknown): ProofRefusal {
    if (browserRefusal(err) !== null) return { text: browserRefusalText(err), api: null };
    const e = readApiError(err);
    if (e.status === 429) this.lockFor(e.retryAfterSeconds);
    if (e.code === 'INVALID_CODE') this.control().reset();
    if (e.code === 'PASSKEY_FAILED') {
      const text = e.reason === 'user_verification' ? PASSKEY_REFUSED : e.message;
      return { text: `${text}${attemptsText(e.attemptsRemaining)}`, api: e };
    }
    return { text: describeProofError(e, this.method() === 'code' ? 'code' : 'backupCode'), api: e };
  }

  private select(next: SecondFactor): void {
    this.method.set(next);
    selectSecondFactor(this.group.controls, next);
  }

  private lockFor(seconds: number | undefined): void {
    if (!seconds) return;
    clearTimeout(this.lockTimer);
    this.locked.set(true);
    this.lockTimer = setTimeout(() => this.locked.set(false), seconds * 1000);
  }
}

/** Creates the state in an injection context (a component's field initialiser). */
export function secondFactorProof(): SecondFactorProofState {
  return new SecondFactorProofState();
}

/**
 * The fields of a SecondFactorProofState: the code (or backup code) field, the switch between the
 * two when the account has the app, and "Use a passkey" when it has passkeys. Input ids are
 * `<idPrefix>-code` and `<idPrefix>-backup-code`.
 */
@Component({
  selector: 'app-second-factor-proof',
  imports: [CodeField],
  host: { class: 'second-factor-proof' },
  styles: ':host { display: block; } .proof-alternatives { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: center; }',
  template: `
    @let state = proof();
    @if (state.method() === 'code') {
      <app-code-field #code [inputId]="idPrefix() + '-code'" [control]="state.group.controls.code" [invalid]="showError()" />
    } @else {
      <app-code-field
        #code
        backup
        [inputId]="idPrefix() + '-backup-code'"
        label="Backup code"
        [hint]="backupHint()"
        [error]="state.group.controls.backupCode.hasError('required') ? 'Enter a backup code.' : 'A backup code looks like abcd-efgh.'"
        [control]="state.group.controls.backupCode"
        [invalid]="showError()"
      />
    }
    @if (state.totp() || state.passkeys() > 0) {
      <div class="proof-alternatives">
        @if (state.totp()) {
          <button type="button" class="btn btn-link" (click)="toggle()" [disabled]="busy()">
            {{ state.method() === 'code' ? 'Use a backup code instead' : 'Use a code from your app instead' }}
          </button>
        }
        @if (state.passkeys() > 0) {
          <button type="button" class="btn" (click)="passkeyRequested.emit()" [disabled]="busy() || state.locked()">Use a passkey</button>
        }
      </div>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SecondFactorProofFields {
  private readonly injector = inject(Injector);
  private readonly codeInput = viewChild<CodeField>('code');

  readonly proof = input.required<SecondFactorProofState>();
  readonly idPrefix = input.required<string>();
  /** Whether the form was submitted (errors show then). */
  readonly submitted = input(false);
  /** A request is running. */
  readonly busy = input(false);
  readonly backupHint = input('One of the codes you saved, like abcd-efgh. It will be used up.');

  /** "Use a passkey": the form checks its other fields, then runs `proof.passkey()`. */
  readonly passkeyRequested = output<void>();
  /** The user switched between the code and a backup code (the form clears its error). */
  readonly switched = output<void>();

  protected showError(): boolean {
    return showControlError(this.proof().control(), this.submitted());
  }

  protected toggle(): void {
    this.proof().toggle();
    this.switched.emit();
    this.focusSoon();
  }

  focus(): void {
    this.codeInput()?.focus();
  }

  /** After the next render (the field may be about to appear). */
  focusSoon(): void {
    afterNextRender(() => this.focus(), { injector: this.injector });
  }
}

