import { Component, signal, viewChild } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { FormControl } from '@angular/forms';
import { inputByLabel, typeInto } from '../../testing/test-utils';
import { PasswordField } from './password-field';

@Component({
  imports: [PasswordField],
  template: `<app-password-field inputId="p" [hint]="hint()" [control]="control" [invalid]="invalid()" />`,
})
class Host {
  readonly control = new FormControl('', { nonNullable: true });
  readonly invalid = signal(false);
  readonly hint = signal<string | null>(null);
  readonly field = viewChild.required(PasswordField);
}

describe('PasswordField', () => {
  async function create() {
    const fixture = TestBed.createComponent(Host);
    await fixture.whenStable();
    return { fixture, host: fixture.componentInstance, el: fixture.nativeElement as HTMLElement };
  }

  it('is a labelled current-password input bound to its control', async () => {
    const { fixture, host, el } = await create();
    const input = inputByLabel(el, 'Password')!;
    expect(input.type).toBe('password');
    expect(input.getAttribute('autocomplete')).toBe('current-password');
    typeInto(input, 'secret');
    expect(host.control.value).toBe('secret');
    host.field().focus();
    expect(document.activeElement).toBe(input);
    fixture.destroy();
  });

  it('shows the error and the hint, linked to the input', async () => {
    const { fixture, host, el } = await create();
    expect(el.querySelector('[role="alert"]')).toBeNull();
    host.invalid.set(true);
    host.hint.set('Long.');
    await fixture.whenStable();
    expect(el.querySelector('[role="alert"]')?.textContent).toContain('Enter your password.');
    expect(el.querySelector('input')?.getAttribute('aria-describedby')).toBe('p-hint p-error');
  });
});
