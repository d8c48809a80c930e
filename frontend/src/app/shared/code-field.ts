import { ChangeDetectionStrategy, Component, ElementRef, booleanAttribute, computed, input, viewChild } from '@angular/core';
import { FormControl, ReactiveFormsModule } from '@angular/forms';
import { describedBy } from './form-state';

/** A labelled input for a 6-digit authenticator code (or, with `backup`, a backup code). */
@Component({
  selector: 'app-code-field',
  imports: [ReactiveFormsModule],
  host: { class: 'field' },
  styles: ':host { display: block; }',
  template: `
    <label [for]="inputId()">{{ label() }}</label>
    @if (hint(); as text) {
      <p [id]="inputId() + '-hint'" class="hint">{{ text }}</p>
    }
    <input
      #input
      [id]="inputId()"
      class="code-input"
      type="text"
      [formControl]="control()"
      [attr.autocomplete]="backup() ? 'off' : 'one-time-code'"
      [attr.inputmode]="backup() ? null : 'numeric'"
      autocapitalize="off"
      spellcheck="false"
      [attr.enterkeyhint]="enterKeyHint()"
      [attr.aria-invalid]="invalid()"
      [attr.aria-describedby]="describedBy()"
    />
    @if (invalid()) {
      <p [id]="inputId() + '-error'" class="field-error" role="alert">{{ error() }}</p>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CodeField {
  readonly control = input.required<FormControl<string>>();
  readonly inputId = input.required<string>();
  /** Whether the error is shown (the parent knows whether its form was submitted). */
  readonly invalid = input(false);
  readonly label = input('Authentication code');
  readonly hint = input<string | null>(null);
  readonly error = input('The code is 6 digits, like 123456.');
  /** A backup code: letters and digits, so no numeric keyboard and no one-time-code autofill. */
  readonly backup = input(false, { transform: booleanAttribute });
  readonly enterKeyHint = input<string | null>(null);

  private readonly inputEl = viewChild.required<ElementRef<HTMLInputElement>>('input');
  protected readonly describedBy = computed(() => describedBy(this.inputId(), !!this.hint(), this.invalid()));

  focus(): void {
    this.inputEl().nativeElement.focus();
  }
}
