import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { FormControl, ReactiveFormsModule } from '@angular/forms';

/** The labelled "Email" input of the login and register forms. */
@Component({
  selector: 'app-email-field',
  imports: [ReactiveFormsModule],
  host: { class: 'field' },
  styles: ':host { display: block; }',
  template: `
    <label [for]="inputId()">Email</label>
    <input
      [id]="inputId()"
      type="email"
      [formControl]="control()"
      [attr.autocomplete]="autocomplete()"
      autocapitalize="off"
      spellcheck="false"
      [attr.aria-invalid]="invalid()"
      [attr.aria-describedby]="invalid() ? inputId() + '-error' : null"
    />
    @if (invalid()) {
      <p [id]="inputId() + '-error'" class="field-error" role="alert">
        {{ control().hasError('required') ? 'Enter your email address.' : 'Enter a valid email address.' }}
      </p>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class EmailField {
  readonly control = input.required<FormControl<string>>();
  readonly inputId = input.required<string>();
  /** `username webauthn` on the login page: the browser may offer passkeys among the suggestions. */
  readonly autocomplete = input<'username' | 'username webauthn'>('username');
  /** Whether the error is shown (the parent knows whether its form was submitted). */
  readonly invalid = input(false);
}
