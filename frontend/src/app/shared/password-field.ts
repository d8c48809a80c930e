import { ChangeDetectionStrategy, Component, ElementRef, computed, input, viewChild } from '@angular/core';
import { FormControl, ReactiveFormsModule } from '@angular/forms';
import { describedBy } from './form-state';

/** A labelled password input with an optional hint and its error message. */
@Component({
  selector: 'app-password-field',
  imports: [ReactiveFormsModule],
  host: { class: 'field' },
  styles: ':host { display: block; }',
  template: `
    <label [for]="inputId()">{{ label() }}</label>
    <input
      #input
      [id]="inputId()"
      type="password"
      [formControl]="control()"
      [attr.autocomplete]="autocomplete()"
      [attr.minlength]="minLength()"
      [attr.aria-invalid]="invalid()"
      [attr.aria-describedby]="describedBy()"
    />
    @if (hint(); as text) {
      <p [id]="inputId() + '-hint'" class="hint">{{ text }}</p>
    }
    @if (invalid()) {
      <p [id]="inputId() + '-error'" class="field-error" role="alert">{{ error() }}</p>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PasswordField {
  readonly control = input.required<FormControl<string>>();
  readonly inputId = input.required<string>();
  /** Whether the error is shown (the parent knows whether its form was submitted). */
  readonly invalid = input(false);
  readonly label = input('Password');
  readonly autocomplete = input<'current-password' | 'new-password'>('current-password');
  readonly minLength = input<number | null>(null);
  readonly hint = input<string | null>(null);
  readonly error = input('Enter your password.');

  private readonly inputEl = viewChild.required<ElementRef<HTMLInputElement>>('input');
  protected readonly describedBy = computed(() => describedBy(this.inputId(), !!this.hint(), this.invalid()));

  focus(): void {
    this.inputEl().nativeElement.focus();
  }
}
