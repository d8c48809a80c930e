import { Component, signal, viewChild } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { FormControl } from '@angular/forms';
import { inputByLabel, typeInto } from '../../testing/test-utils';
import { CodeField } from './code-field';

@Component({
  imports: [CodeField],
  template: `<app-code-field inputId="c" [hint]="hint()" [backup]="backup()" [control]="control" [invalid]="invalid()" />`,
})
class Host {
  readonly control = new FormControl('', { nonNullable: true });
  readonly invalid = signal(false);
  readonly hint = signal<string | null>(null);
  readonly backup = signal(false);
  readonly field = viewChild.required(CodeField);
}

describe('CodeField', () => {
  async function create() {
    const fixture = TestBed.createComponent(Host);
    await fixture.whenStable();
    return { fixture, host: fixture.componentInstance, el: fixture.nativeElement as HTMLElement };
  }

  it('is a labelled one-time-code input bound to its control', async () => {
    const { fixture, host, el } = await create();
    const input = inputByLabel(el, 'Authentication code')!;
    expect(input.id).toBe('c');
    expect(input.getAttribute('autocomplete')).toBe('one-time-code');
    expect(input.getAttribute('inputmode')).toBe('numeric');
    expect(input.getAttribute('aria-describedby')).toBeNull();
    typeInto(input, '123456');
    expect(host.control.value).toBe('123456');
    host.field().focus();
    expect(document.activeElement).toBe(input);
    fixture.destroy();
  });

  it('shows the error and the hint, linked to the input', async () => {
    const { fixture, host, el } = await create();
    host.invalid.set(true);
    host.hint.set('Six digits.');
    await fixture.whenStable();
    expect(el.querySelector('[role="alert"]')?.textContent).toContain('The code is 6 digits, like 123456.');
    expect(el.querySelector('#c-hint')?.textContent).toBe('Six digits.');
    expect(el.querySelector('input')?.getAttribute('aria-describedby')).toBe('c-hint c-error');
  });

  it('takes letters for a backup code', async () => {
    const { fixture, host, el } = await create();
    host.backup.set(true);
    await fixture.whenStable();
    const input = el.querySelector('input')!;
    expect(input.getAttribute('autocomplete')).toBe('off');
    expect(input.hasAttribute('inputmode')).toBe(false);
  });
});
