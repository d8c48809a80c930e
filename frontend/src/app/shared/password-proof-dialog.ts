import { ChangeDetectionStrategy, Component, ElementRef, Injector, afterNextRender, booleanAttribute, computed, inject, input, output, signal, viewChild } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { Observable } from 'rxjs';
import { PasswordAndProof } from '../core/auth/api.types';
import { closeDialog, showDialog } from './dialog';
import { showControlError } from './form-state';
import { PasswordField } from './password-field';
import { ProofFormField, ProofRequest, proofRequest } from './proof-request';
import { AccountFactors, SecondFactorProofFields } from './second-factor-proof';

/**
 * A modal <dialog> for a change that needs the password AND a second factor (a code from the app,
 * a backup code or a passkey): the one UI path for every such proof on an account with 2FA —
 * turning 2FA off, adding or removing the app or a passkey, new backup codes, a new password, and
 * an admin's reset or unlock of another user (DESIGN.md §6 rule 7). Its `action` may also be the
 * first request of a longer change (registration options, then the browser's prompt).
 * The dialog around it gives the heading, the words before "Confirm with your password and …"
 * (projected; an element marked `afterProof` goes after), the submit button's label and the request; this owns the fields, the busy state, the wait after a
 * 429 and the refusals. Ids: `<idPrefix>-dialog` (data-testid), `-title`, `-description`,
 * `-password`, `-code`, `-backup-code`.
 */
@Component({
  selector: 'app-password-proof-dialog',
  imports: [ReactiveFormsModule, PasswordField, SecondFactorProofFields],
  templateUrl: './password-proof-dialog.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PasswordProofDialog<T> {
  private readonly injector = inject(Injector);
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');
  private readonly passwordInput = viewChild<PasswordField>('password');
  private readonly proofFields = viewChild(SecondFactorProofFields);

  readonly idPrefix = input.required<string>();
  readonly heading = input.required<string>();
  readonly submitLabel = input.required<string>();
  /** The words end "…, or with a passkey." (also whenever the account has one). */
  readonly orPasskey = input(false, { transform: booleanAttribute });
  /** The change itself, sent with the password and the proof. */
  readonly action = input.required<(body: PasswordAndProof) => Observable<T>>();

  /** The API's answer, once the dialog has closed. */
  readonly done = output<T>();

  readonly isOpen = signal(false);
  protected readonly request: ProofRequest<T> = proofRequest<T>({
    ready: (typed) => this.request.checkFields(typed, this.form.controls.password, (field) => this.focus(field)),
    call: (proof) => this.action()({ password: this.form.controls.password.value, ...proof }),
    succeeded: (result) => {
      this.close();
      this.done.emit(result);
    },
    refused: (err) => this.refused(err),
  });
  protected readonly proof = this.request.proof;
  protected readonly mentionPasskey = computed(() => this.orPasskey() || this.proof.passkeys() > 0);

  protected readonly form = inject(NonNullableFormBuilder).group({
    password: ['', [Validators.required]],
    proof: this.proof.group,
  });

  open(factors: AccountFactors): void {
    this.form.reset();
    this.request.reset(factors);
    this.isOpen.set(true);
    showDialog(this.dialog().nativeElement);
    afterNextRender(() => this.passwordInput()?.focus(), { injector: this.injector });
  }

  close(): void {
    closeDialog(this.dialog().nativeElement);
    this.onClosed();
  }

  protected onClosed(): void {
    this.isOpen.set(false);
    this.form.reset();
  }

  /** Escape closes the dialog, except while the request is running. */
  protected onCancel(event: Event): void {
    if (this.request.busy()) event.preventDefault();
  }

  protected showPasswordError(): boolean {
    return showControlError(this.form.controls.password, this.request.submitted());
  }

  private refused(err: unknown): void {
    const api = this.request.showRefusal(err);
    if (api?.code === 'INVALID_PASSWORD') {
      this.form.controls.password.reset();
      this.focus('password');
    } else if (api?.code === 'INVALID_CODE') {
      this.focus('code');
    }
  }

  private focus(field: ProofFormField): void {
    if (field === 'password') this.passwordInput()?.focus();
    else this.proofFields()?.focus();
  }
}
