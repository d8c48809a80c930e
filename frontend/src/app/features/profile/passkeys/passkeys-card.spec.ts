import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { Passkey } from '../../../core/auth/api.types';
import { WebAuthnClient } from '../../../core/passkeys/webauthn-client';
import { aUser, alerts, buttonByText, errorResponse, inputByLabel, provideTestApp, signIn, tick, typeInto } from '../../../../testing/test-utils';
import { TwoFactorStatusStore } from '../two-factor-status.store';
import { PasskeysCard } from './passkeys-card';

const KEY: Passkey = {
  id: 'pk1',
  name: 'Work laptop',
  createdAt: '2026-11-25T08:00:00Z',
  lastUsedAt: null,
  deviceType: 'multiDevice',
  backedUp: true,
  transports: ['internal'],
  signInWithoutPassword: false,
};
const CREATION = { challenge: 'Y2hhbGxlbmdl', rp: { name: 'TwoFA', id: 'localhost' }, user: { id: 'dTE', name: 'ada', displayName: 'ada' }, pubKeyCredParams: [] };
const ATTESTATION = { id: 'cred-1', rawId: 'cred-1', type: 'public-key', response: {}, clientExtensionResults: {} };
const ASSERTION = { id: 'cred-1', rawId: 'cred-1', type: 'public-key', response: {}, clientExtensionResults: {} };

describe('PasskeysCard', () => {
  let fixture: ComponentFixture<PasskeysCard>;
  let el: HTMLElement;
  let http: HttpTestingController;
  let status: TwoFactorStatusStore;
  let webauthn: { supported: () => boolean; create: (o: unknown) => Promise<unknown>; get: (o: unknown) => Promise<unknown> };
  const dialogProto = HTMLDialogElement.prototype as unknown as Record<string, unknown>;

  beforeEach(() => {
    dialogProto['showModal'] = function (this: HTMLDialogElement) {
      this.setAttribute('open', '');
    };
    dialogProto['close'] = function (this: HTMLDialogElement) {
      this.removeAttribute('open');
      this.dispatchEvent(new Event('close'));
    };
    // Plain functions, not vi.fn(): a spy that returns a rejected promise reports it to the test too.
    webauthn = { supported: () => true, create: async () => ATTESTATION, get: async () => ASSERTION };
    TestBed.configureTestingModule({
      providers: [...provideTestApp(), TwoFactorStatusStore, { provide: WebAuthnClient, useFactory: () => webauthn }],
    });
    http = TestBed.inject(HttpTestingController);
    status = TestBed.inject(TwoFactorStatusStore);
  });

  afterEach(() => {
    vi.useRealTimers();
    delete dialogProto['showModal'];
    delete dialogProto['close'];
    http.verify();
  });

  async function create(passkeys: Passkey[], factors: { totp: boolean } = { totp: false }): Promise<void> {
    signIn(aUser({ twoFactorEnabled: passkeys.length > 0 || factors.totp }));
    status.load();
    http.expectOne('/auth/2fa/status').flush({ enabled: passkeys.length > 0 || factors.totp, totp: factors.totp, passkeys: passkeys.length, backupCodesRemaining: 10 });
    fixture = TestBed.createComponent(PasskeysCard);
    el = fixture.nativeElement;
    http.expectOne('/auth/2fa/passkeys').flush({ passkeys });
    await fixture.whenStable();
  }

  async function settle(): Promise<void> {
    await tick();
    await fixture.whenStable();
  }

  const names = () => Array.from(el.querySelectorAll('[data-testid="passkey-name"]')).map((n) => n.textContent?.trim());

  it('adds a first passkey: password on REAUTH_REQUIRED, the browser creates it, 2FA turns on with backup codes', async () => {
    await create([]);
    expect(el.textContent).toContain('No passkeys or security keys yet.');
    const changed = vi.fn();
    fixture.componentInstance.changed.subscribe(changed);

    buttonByText(el, 'Add a passkey or security key').click();
    await fixture.whenStable();
    http.expectNone('/auth/2fa/passkeys/registration-options');
    expect(alerts(el)).toContain('Give it a name, like “Work laptop”.');

    typeInto(inputByLabel(el, 'Name'), '  Work laptop ');
    buttonByText(el, 'Add a passkey or security key').click();
    const first = http.expectOne('/auth/2fa/passkeys/registration-options');
    expect(first.request.body).toEqual({});
    const reauth = errorResponse(401, 'REAUTH_REQUIRED');
    first.flush(reauth.body, reauth.opts);
    http.expectNone('/auth/refresh');
    await fixture.whenStable();
    typeInto(inputByLabel(el, 'Confirm your password'), 'correct horse');
    buttonByText(el, 'Add a passkey or security key').click();
    const second = http.expectOne('/auth/2fa/passkeys/registration-options');
    expect(second.request.body).toEqual({ password: 'correct horse' });
    second.flush(CREATION);
    await settle();

    const add = http.expectOne('/auth/2fa/passkeys');
    expect(add.request.method).toBe('POST');
    expect(add.request.body).toEqual({ name: 'Work laptop', response: ATTESTATION });
    add.flush({ passkey: KEY, backupCodes: ['aaaa-bbbb'] }, { status: 201, statusText: 'Created' });
    await fixture.whenStable();
    expect(names()).toEqual(['Work laptop']);
    expect(el.textContent).toContain('Never');
    expect(inputByLabel(el, 'Confirm your password')).toBeNull();
    expect([status.enabled(), status.passkeys()]).toEqual([true, 1]);
    expect(status.shownCodes()).toEqual({ codes: ['aaaa-bbbb'], reason: 'enabled' });
    expect(changed).toHaveBeenCalledTimes(1);
  });

  it('a browser refusal and an API refusal are shown; nothing is added', async () => {
    await create([]);
    webauthn.create = () => Promise.reject(new DOMException('Not allowed', 'NotAllowedError'));
    typeInto(inputByLabel(el, 'Name'), 'Blue key');
    buttonByText(el, 'Add a passkey or security key').click();
    http.expectOne('/auth/2fa/passkeys/registration-options').flush(CREATION);
    await settle();
    http.expectNone('/auth/2fa/passkeys');
    expect(alerts(el)).toEqual(["Your passkey or security key did not confirm it's you. Try again."]);

    webauthn.create = async () => ATTESTATION;
    buttonByText(el, 'Add a passkey or security key').click();
    http.expectOne('/auth/2fa/passkeys/registration-options').flush(CREATION);
    await settle();
    const taken = errorResponse(409, 'PASSKEY_ALREADY_REGISTERED');
    http.expectOne('/auth/2fa/passkeys').flush(taken.body, taken.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['PASSKEY_ALREADY_REGISTERED message']);
    expect(names()).toEqual([]);
  });

  it('marks the passkeys that can sign in without a password', async () => {
    await create([
      { ...KEY, signInWithoutPassword: true } as Passkey,
      { ...KEY, id: 'pk2', name: 'Old key', backedUp: false, signInWithoutPassword: false } as Passkey,
    ]);
    const items = Array.from(el.querySelectorAll<HTMLElement>('[data-testid="passkey"]'));
    expect(items.map((i) => i.querySelector('[data-testid="passkey-passwordless"]')?.textContent?.trim() ?? null)).toEqual([
      'Can sign in without a password',
      null,
    ]);

    // the rename answer carries the flag like the list (one schema for every passkey answer)
    buttonByText(items[0], 'Rename').click();
    await fixture.whenStable();
    typeInto(inputByLabel(el, 'New name'), 'Home laptop');
    buttonByText(el, 'Save').click();
    http.expectOne('/auth/2fa/passkeys/pk1').flush({ passkey: { ...KEY, name: 'Home laptop', signInWithoutPassword: true } });
    await fixture.whenStable();
    expect(el.querySelectorAll('[data-testid="passkey-passwordless"]').length).toBe(1);
  });

    it('renames one', async () => {
    await create([KEY]);
    buttonByText(el, 'Rename').click();
    await fixture.whenStable();
    typeInto(inputByLabel(el, 'New name'), 'Home laptop');
    buttonByText(el, 'Save').click();
    const patch = http.expectOne('/auth/2fa/passkeys/pk1');
    expect(patch.request.method).toBe('PATCH');
    expect(patch.request.body).toEqual({ name: 'Home laptop' });
    patch.flush({ passkey: { ...KEY, name: 'Home laptop' } });
    await fixture.whenStable();
    expect(names()).toEqual(['Home laptop']);
  });

  it('removes one with the password and a code, after a wrong code', async () => {
    await create([KEY], { totp: true });
    buttonByText(el, 'Remove').click();
    await fixture.whenStable();
    const dialog = el.querySelector<HTMLDialogElement>('[data-testid="passkey-remove-dialog"]')!;
    expect(dialog.hasAttribute('open')).toBe(true);
    typeInto(inputByLabel(dialog, 'Password'), 'pw');
    typeInto(inputByLabel(dialog, 'Authentication code'), '123 456');
    await fixture.whenStable();
    buttonByText(dialog, 'Remove passkey').click();
    const wrong = http.expectOne('/auth/2fa/passkeys/pk1/remove');
    expect(wrong.request.body).toEqual({ password: 'pw', code: '123456' });
    const invalid = errorResponse(400, 'INVALID_CODE', { attemptsRemaining: 4 });
    wrong.flush(invalid.body, invalid.opts);
    await fixture.whenStable();
    expect(alerts(dialog)).toEqual(['That code didn’t work. 4 attempts remaining.']);

    typeInto(inputByLabel(dialog, 'Authentication code'), '654321');
    await fixture.whenStable();
    buttonByText(dialog, 'Remove passkey').click();
    http.expectOne('/auth/2fa/passkeys/pk1/remove').flush({ message: 'Passkey removed', twoFactorEnabled: true });
    await fixture.whenStable();
    expect(dialog.hasAttribute('open')).toBe(false);
    expect(names()).toEqual([]);
    expect([status.enabled(), status.passkeys()]).toEqual([true, 0]);
  });

  it('removes the last factor with the password and a passkey: 2FA is off', async () => {
    await create([KEY]);
    buttonByText(el, 'Remove').click();
    await fixture.whenStable();
    const dialog = el.querySelector<HTMLDialogElement>('[data-testid="passkey-remove-dialog"]')!;
    expect(inputByLabel(dialog, 'Authentication code')).toBeNull(); // no authenticator app on this account
    expect(inputByLabel(dialog, 'Backup code')).not.toBeNull();
    buttonByText(dialog, 'Use a passkey').click();
    await fixture.whenStable();
    http.expectNone('/auth/2fa/passkeys/proof-options');
    expect(alerts(dialog)).toContain('Enter your password.');

    typeInto(inputByLabel(dialog, 'Password'), 'pw');
    await fixture.whenStable();
    buttonByText(dialog, 'Use a passkey').click();
    http.expectOne('/auth/2fa/passkeys/proof-options').flush({ challenge: 'cHJvb2Y', allowCredentials: [] });
    await settle();
    const remove = http.expectOne('/auth/2fa/passkeys/pk1/remove');
    expect(remove.request.body).toEqual({ password: 'pw', passkey: ASSERTION });
    remove.flush({ message: 'Passkey removed', twoFactorEnabled: false });
    await fixture.whenStable();
    expect(status.enabled()).toBe(false);
    expect(el.textContent).toContain('Two-factor authentication is now off.');
  });

  it('TOO_MANY_ATTEMPTS: the remove dialog says how long, and its buttons wait for Retry-After', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await create([KEY], { totp: true });
    buttonByText(el, 'Remove').click();
    await fixture.whenStable();
    const dialog = el.querySelector<HTMLDialogElement>('[data-testid="passkey-remove-dialog"]')!;
    typeInto(inputByLabel(dialog, 'Password'), 'pw');
    typeInto(inputByLabel(dialog, 'Authentication code'), '123456');
    await fixture.whenStable();
    buttonByText(dialog, 'Remove passkey').click();
    const tooMany = errorResponse(429, 'TOO_MANY_ATTEMPTS', { retryAfterSeconds: 120 });
    http.expectOne('/auth/2fa/passkeys/pk1/remove').flush(tooMany.body, tooMany.opts);
    await fixture.whenStable();
    expect(alerts(dialog)).toEqual(['Too many attempts. Please wait 2 minutes before trying again.']);
    expect(buttonByText(dialog, 'Remove passkey').disabled).toBe(true);
    expect(buttonByText(dialog, 'Use a passkey').disabled).toBe(true);
    expect(buttonByText(dialog, 'Cancel').disabled).toBe(false);
    dialog.querySelector('form')!.dispatchEvent(new Event('submit'));
    http.expectNone('/auth/2fa/passkeys/pk1/remove');

    vi.advanceTimersByTime(120_000);
    await fixture.whenStable();
    expect(buttonByText(dialog, 'Remove passkey').disabled).toBe(false);
    expect(buttonByText(dialog, 'Use a passkey').disabled).toBe(false);
  });

  it('a browser refusal of the passkey proof is shown, nothing is removed', async () => {
    webauthn.get = async () => {
      throw Object.assign(new Error('cancelled'), { name: 'NotAllowedError' });
    };
    await create([KEY], { totp: true });
    buttonByText(el, 'Remove').click();
    await fixture.whenStable();
    const dialog = el.querySelector<HTMLDialogElement>('[data-testid="passkey-remove-dialog"]')!;
    typeInto(inputByLabel(dialog, 'Password'), 'pw');
    await fixture.whenStable();
    buttonByText(dialog, 'Use a passkey').click();
    http.expectOne('/auth/2fa/passkeys/proof-options').flush({ challenge: 'cHJvb2Y', allowCredentials: [] });
    await settle();
    http.expectNone('/auth/2fa/passkeys/pk1/remove');
    expect(alerts(dialog)).toEqual(["Your passkey or security key did not confirm it's you. Try again."]);
    expect(buttonByText(dialog, 'Remove passkey').disabled).toBe(false);
  });
});
