import { ComponentFixture } from '@angular/core/testing';
import { buttonByText, inputByLabel, typeInto } from './test-utils';

/**
 * jsdom has no showModal()/close(): for the tests of this describe block, showModal() sets `open`
 * and close() removes it and fires "close" like a browser.
 */
export function useDialogStubs(): void {
  const dialogProto = HTMLDialogElement.prototype as unknown as Record<string, unknown>;
  beforeEach(() => {
    dialogProto['showModal'] = vi.fn(function (this: HTMLDialogElement) {
      this.setAttribute('open', '');
    });
    dialogProto['close'] = vi.fn(function (this: HTMLDialogElement) {
      this.removeAttribute('open');
      this.dispatchEvent(new Event('close'));
    });
  });
  afterEach(() => {
    delete dialogProto['showModal'];
    delete dialogProto['close'];
  });
}

/** Filling and sending a password + second-factor form the way a user does. */
export function proofForm(fixture: ComponentFixture<unknown>, submitLabel: string) {
  const el = fixture.nativeElement as HTMLElement;
  return {
    async fill(password: string, code: string, label = 'Authentication code'): Promise<void> {
      typeInto(inputByLabel(el, 'Password'), password);
      typeInto(inputByLabel(el, label), code);
      await fixture.whenStable();
    },
    async submit(): Promise<void> {
      buttonByText(el, submitLabel).click();
      await fixture.whenStable();
    },
    async useBackupCode(): Promise<void> {
      buttonByText(el, 'Use a backup code instead').click();
      await fixture.whenStable();
    },
  };
}
