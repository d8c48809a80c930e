import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { PasskeyAdded } from '../../../core/auth/api.types';
import { WebAuthnClient } from '../../../core/passkeys/webauthn-client';
import { EnrolmentLink } from '../../../core/two-factor/enrolment-link';
import { useDialogStubs } from '../../../../testing/proof-dialog';
import { alerts, aUser, buttonByText, errorResponse, inputByLabel, provideTestApp, signIn, tick, typeInto } from '../../../../testing/test-utils';
import { TwoFactorStatusStore } from '../two-factor-status.store';
import { PasskeyAdd } from './passkey-add';

const CREATION = { challenge: 'Y2hhbGxlbmdl', rp: { name: 'TwoFA', id: 'localhost' }, user: { id: 'dTE', name: 'ada', displayName: 'ada' }, pubKeyCredParams: [] };
const ATTESTATION = { id: 'cred-2', rawId: 'cred-2', type: 'public-key', response: {}, clientExtensionResults: {} };
const KEY = { id: 'pk2', name: 'Blue key', createdAt: '2026-11-25T08:00:00Z', lastUsedAt: null, deviceType: 'singleDevice', backedUp: false, transports: [] };

const RESET_USER = aUser({ twoFactorRequirement: { reason: 'admin_reset', blocked: true, deadline: null } });

describe('PasskeyAdd (the proof goes with the registration options: rule 7)', () => {
  useDialogStubs();
  let fixture: ComponentFixture<PasskeyAdd>;
  let el: HTMLElement;
  let http: HttpTestingController;
  let added: PasskeyAdded[];
  let created: unknown[];

  beforeEach(() => {
    created = [];
    const webauthn = {
      supported: () => true,
      create: async (options: unknown) => {
        created.push(options);
        return ATTESTATION;
      },
    };
    TestBed.configureTestingModule({
      providers: [...provideTestApp(), TwoFactorStatusStore, { provide: WebAuthnClient, useFactory: () => webauthn }],
    });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  async function create(status: { enabled: boolean; totp: boolean; passkeys: number }, user = aUser({ twoFactorEnabled: status.enabled })): Promise<void> {
    signIn(user);
    TestBed.inject(TwoFactorStatusStore).load();
    http.expectOne('/auth/2fa/status').flush({ ...status, backupCodesRemaining: 10 });
    fixture = TestBed.createComponent(PasskeyAdd);
    el = fixture.nativeElement;
    added = [];
    fixture.componentInstance.added.subscribe((a) => added.push(a));
    await fixture.whenStable();
  }

  async function addNamed(name: string): Promise<void> {
    typeInto(inputByLabel(el, 'Name'), name);
    buttonByText(el, 'Add a passkey or security key').click();
    await fixture.whenStable();
  }

  const dialog = () => el.querySelector<HTMLDialogElement>('[data-testid="add-passkey-dialog"]')!;

  it('with the authenticator app on: asks the password AND a code first, sends both in registration-options, then the browser creates it', async () => {
    await create({ enabled: true, totp: true, passkeys: 0 });
    await addNamed('Blue key');
    http.expectNone('/auth/2fa/passkeys/registration-options');
    expect(dialog().hasAttribute('open')).toBe(true);

    // Without the code nothing is sent.
    typeInto(inputByLabel(dialog(), 'Password'), 'correct horse');
    await fixture.whenStable();
    buttonByText(dialog(), 'Continue').click();
    await fixture.whenStable();
    http.expectNone('/auth/2fa/passkeys/registration-options');

    typeInto(inputByLabel(dialog(), 'Authentication code'), '123 456');
    await fixture.whenStable();
    buttonByText(dialog(), 'Continue').click();
    const options = http.expectOne('/auth/2fa/passkeys/registration-options');
    expect(options.request.body).toEqual({ password: 'correct horse', code: '123456' });
    options.flush(CREATION);
    await tick();
    await fixture.whenStable();
    expect(dialog().hasAttribute('open')).toBe(false);
    expect(created).toEqual([CREATION]);

    const add = http.expectOne('/auth/2fa/passkeys');
    expect(add.request.body).toEqual({ name: 'Blue key', response: ATTESTATION });
    add.flush({ passkey: KEY }, { status: 201, statusText: 'Created' });
    await fixture.whenStable();
    expect(added).toEqual([{ passkey: KEY }]);
  });

  it('a wrong code keeps the dialog open with the attempts left; the browser is not asked', async () => {
    await create({ enabled: true, totp: true, passkeys: 1 });
    await addNamed('Blue key');
    typeInto(inputByLabel(dialog(), 'Password'), 'pw');
    typeInto(inputByLabel(dialog(), 'Authentication code'), '000000');
    await fixture.whenStable();
    buttonByText(dialog(), 'Continue').click();
    const wrong = errorResponse(400, 'INVALID_CODE', { attemptsRemaining: 3 });
    http.expectOne('/auth/2fa/passkeys/registration-options').flush(wrong.body, wrong.opts);
    await fixture.whenStable();
    expect(alerts(dialog())).toEqual(['That code didn’t work. 3 attempts remaining.']);
    expect(dialog().hasAttribute('open')).toBe(true);
    expect(created).toEqual([]);
  });

  it('without 2FA: no dialog, {} first (a fresh login suffices)', async () => {
    await create({ enabled: false, totp: false, passkeys: 0 });
    await addNamed('Blue key');
    expect(dialog().hasAttribute('open')).toBe(false);
    http.expectOne('/auth/2fa/passkeys/registration-options').flush(CREATION);
    await tick();
    http.expectOne('/auth/2fa/passkeys').flush({ passkey: KEY, backupCodes: ['aaaa-bbbb'] }, { status: 201, statusText: 'Created' });
    await fixture.whenStable();
    expect(added).toEqual([{ passkey: KEY, backupCodes: ['aaaa-bbbb'] }]);
  });

  it('REAUTH_REQUIRED needs secondFactor (2FA was turned on elsewhere): reloads the status and asks both in the dialog', async () => {
    await create({ enabled: false, totp: false, passkeys: 0 });
    await addNamed('Blue key');
    const reauth = errorResponse(401, 'REAUTH_REQUIRED', { needs: ['password', 'secondFactor'] });
    http.expectOne('/auth/2fa/passkeys/registration-options').flush(reauth.body, reauth.opts);
    http.expectOne('/auth/2fa/status').flush({ enabled: true, totp: true, passkeys: 0, backupCodesRemaining: 10 });
    await fixture.whenStable();
    expect(dialog().hasAttribute('open')).toBe(true);
    expect(inputByLabel(dialog(), 'Authentication code')).not.toBeNull();
  });

  it('after an admin reset with the emailed link: the password at once, sent with the link’s token; the link is then used up', async () => {
    TestBed.inject(EnrolmentLink).keep('t0k3n');
    await create({ enabled: false, totp: false, passkeys: 0 }, RESET_USER);
    typeInto(inputByLabel(el, 'Confirm your password'), 'pw');
    await addNamed('Blue key');
    const options = http.expectOne('/auth/2fa/passkeys/registration-options');
    expect(options.request.body).toEqual({ enrolmentToken: 't0k3n', password: 'pw' });
    options.flush(CREATION);
    await tick();
    http.expectOne('/auth/2fa/passkeys').flush({ passkey: KEY, backupCodes: ['aaaa-bbbb'] }, { status: 201, statusText: 'Created' });
    await fixture.whenStable();
    expect(added).toHaveLength(1);
    expect(TestBed.inject(EnrolmentLink).token()).toBeNull();
  });

  it('after an admin reset without the link: nothing is sent, the user is told where the link is', async () => {
    await create({ enabled: false, totp: false, passkeys: 0 }, RESET_USER);
    await addNamed('Blue key');
    http.expectNone('/auth/2fa/passkeys/registration-options');
    expect(alerts(el)).toEqual(['We emailed you a link to set up two-factor authentication again. Open it on this browser.']);
  });
});
