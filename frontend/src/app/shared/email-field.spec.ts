import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { FormControl, Validators } from '@angular/forms';
import { alerts, inputByLabel, typeInto } from '../../testing/test-utils';
import { EmailField } from './email-field';

@Component({
  imports: [EmailField],
  template: `<app-email-field inputId="e" [control]="control" [invalid]="invalid()" />`,
})
class Host {
  readonly control = new FormControl('', { nonNullable: true, validators: [Validators.required, Validators.email] });
  readonly invalid = signal(false);
}

describe('EmailField', () => {
  it('is a labelled email input that explains what is wrong', async () => {
    const fixture = TestBed.createComponent(Host);
    const el: HTMLElement = fixture.nativeElement;
    await fixture.whenStable();
    const input = inputByLabel(el, 'Email')!;
    expect(input.type).toBe('email');
    expect(input.getAttribute('autocomplete')).toBe('username');
    expect(alerts(el)).toEqual([]);
    fixture.componentInstance.invalid.set(true);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Enter your email address.']);
    expect(input.getAttribute('aria-describedby')).toBe('e-error');
    typeInto(input, 'not-an-email');
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Enter a valid email address.']);
  });

  it('lets the login page ask for passkeys among the suggestions', async () => {
    const fixture = TestBed.createComponent(EmailField);
    fixture.componentRef.setInput('control', new FormControl('', { nonNullable: true }));
    fixture.componentRef.setInput('inputId', 'e');
    fixture.componentRef.setInput('autocomplete', 'username webauthn');
    await fixture.whenStable();
    expect((fixture.nativeElement as HTMLElement).querySelector('input')?.getAttribute('autocomplete')).toBe('username webauthn');
  });
});
