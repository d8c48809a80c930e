import { signal } from '@angular/core';
import { FormControl } from '@angular/forms';
import { Observable } from 'rxjs';
import { ApiError } from '../core/auth/api-error';
import { SecondFactorProof } from '../core/auth/api.types';
import { AccountFactors, secondFactorProof } from './second-factor-proof';

/** The fields `checkFields` looks at: the password and the typed factor. */
export type ProofFormField = 'password' | 'code';
const PASSWORD_FIRST: readonly ProofFormField[] = ['password', 'code'];

/** What a form that sends a second-factor proof decides for itself. */
export interface ProofRequestSteps<T> {
  /**
   * The form's other fields are ready for this attempt (else it marks and focuses them and says
   * false). `typed`: the typed code or backup code goes too, so it must be valid; false before the
   * passkey prompt, which needs no typed factor.
   */
  ready(typed: boolean): boolean;
  /** The request, with the proof in its body. */
  call(proof: SecondFactorProof): Observable<T>;
  /** The API accepted (busy is already off). */
  succeeded(result: T): void;
  /**
   * The API or the browser refused (busy and submitted are already off). `sent`: the refusal is the
   * request's answer, not the passkey ceremony's.
   */
  refused(err: unknown, sent: boolean): void;
}

/**
 * The send cycle that every form confirmed by a second factor shares: "submit" with the typed code
 * (or backup code), "Use a passkey" (the browser's prompt instead), busy while it runs, nothing
 * sent while a 429's wait lasts (the proof's `locked`), and the refusal handed back to the form.
 * The form owns its other fields, the request and what a refusal means for them.
 */
export class ProofRequest<T> {
  readonly proof = secondFactorProof();
  readonly busy = signal(false);
  readonly error = signal<string | null>(null);
  /** An attempt was made (field errors show from then on). */
  readonly submitted = signal(false);

  constructor(private readonly steps: ProofRequestSteps<T>) {}

  /** A fresh start for the given account. */
  reset(factors: AccountFactors): void {
    this.proof.reset(factors);
    this.error.set(null);
    this.submitted.set(false);
    this.busy.set(false);
  }

  /** The form's submit: its fields and the typed factor. */
  submit(): void {
    if (this.begin(true)) this.send(this.proof.value());
  }

  /** "Use a passkey": the form's fields, then the browser's prompt instead of a typed factor. */
  usePasskey(): void {
    if (!this.begin(false)) return;
    this.busy.set(true);
    this.error.set(null);
    this.proof.passkey().then(
      (proof) => this.send(proof),
      (err: unknown) => this.fail(err, false),
    );
  }

  /** The user switched between the code and a backup code: the old error no longer applies. */
  switched(): void {
    this.error.set(null);
    this.submitted.set(false);
  }

  /**
   * The usual `ready`: the password and, unless the passkey proves it, the typed factor. Marks them
   * and focuses the first one missing (the password first); true when nothing is.
   */
  checkFields(typed: boolean, password: FormControl<string>, focus: (field: ProofFormField) => void): boolean {
    const missing = PASSWORD_FIRST.find((field) => (field === 'password' ? password.invalid : typed && this.proof.invalid()));
    if (!missing) return true;
    password.markAsTouched();
    if (typed) this.proof.group.markAllAsTouched();
    focus(missing);
    return false;
  }

  /** Shows the words for a refused proof; the API's error, or null when the browser refused. */
  showRefusal(err: unknown): ApiError | null {
    const { text, api } = this.proof.refusal(err);
    this.error.set(text);
    return api;
  }

  private begin(typed: boolean): boolean {
    this.submitted.set(true);
    if (this.busy() || this.proof.locked()) return false;
    return this.steps.ready(typed);
  }

  private send(proof: SecondFactorProof): void {
    this.busy.set(true);
    this.error.set(null);
    this.steps.call(proof).subscribe({
      next: (result) => {
        this.busy.set(false);
        this.steps.succeeded(result);
      },
      error: (err: unknown) => this.fail(err, true),
    });
  }

  private fail(err: unknown, sent: boolean): void {
    this.busy.set(false);
    this.submitted.set(false);
    this.steps.refused(err, sent);
  }
}

/** Creates the request in an injection context (a component's field initialiser). */
export function proofRequest<T>(steps: ProofRequestSteps<T>): ProofRequest<T> {
  return new ProofRequest(steps);
}
