import { HttpTestingController } from '@angular/common/http/testing';
import { Component, input } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { By } from '@angular/platform-browser';
import { Router } from '@angular/router';
import { QRCodeComponent } from 'angularx-qrcode';
import { TrustedDevice, User } from '../../core/auth/api.types';
import { AUTH_MESSAGES, SessionStore } from '../../core/auth/session.store';
import { aSession, aTrustedDevice } from '../../../testing/fixtures';
import {
  aUser,
  alerts,
  buttonByText,
  errorResponse,
  inputByLabel,
  provideTestApp,
  signIn,
  tick,
  typeInto,
} from '../../../testing/test-utils';
import { ProfilePage } from './profile.page';
import { TotpSetup } from './totp-setup/totp-setup';

/** Stands in for angularx-qrcode (jsdom has no canvas); records what it was asked to draw. */
@Component({ selector: 'qrcode', template: '<img alt="QR code" width="240" height="240" />' })
class FakeQrCode {
  readonly qrdata = input('');
  readonly width = input(0);
  readonly margin = input(0);
  readonly errorCorrectionLevel = input('');
  readonly elementType = input('');
  readonly colorDark = input('');
  readonly colorLight = input('');
  readonly alt = input('');
}

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const OTPAUTH = `otpauth://totp/TwoFA:ada%40example.com?secret=${SECRET}&issuer=TwoFA&algorithm=SHA1&digits=6&period=30`;
const CODES = Array.from({ length: 10 }, (_, i) => `abcd-efg${i}`);

describe('ProfilePage', () => {
  let fixture: ComponentFixture<ProfilePage>;
  let el: HTMLElement;
  let http: HttpTestingController;
  const dialogProto = HTMLDialogElement.prototype as unknown as Record<string, unknown>;

  beforeEach(() => {
    sessionStorage.clear();
    // jsdom has no modal dialogs: give it the two methods the component calls.
    dialogProto['showModal'] = vi.fn(function (this: HTMLDialogElement) {
      this.setAttribute('open', '');
    });
    dialogProto['close'] = vi.fn(function (this: HTMLDialogElement) {
      this.removeAttribute('open');
      this.dispatchEvent(new Event('close'));
    });
    TestBed.configureTestingModule({ providers: provideTestApp() }).overrideComponent(TotpSetup, {
      remove: { imports: [QRCodeComponent] },
      add: { imports: [FakeQrCode] },
    });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => {
    delete dialogProto['showModal'];
    delete dialogProto['close'];
    http.verify();
  });

  async function create(
    status: { enabled: boolean; backupCodesRemaining: number },
    events: unknown[] = [],
    devices: TrustedDevice[] = [],
  ): Promise<void> {
    signIn(aUser({ twoFactorEnabled: status.enabled }));
    fixture = TestBed.createComponent(ProfilePage);
    el = fixture.nativeElement;
    http.expectOne('/auth/2fa/status').flush(status);
    http.expectOne('/auth/2fa/passkeys').flush({ passkeys: [] });
    await fixture.whenStable();
    http.expectOne('/auth/security-events').flush({ events, nextCursor: null });
    http.expectOne('/auth/sessions').flush({ sessions: [aSession({ current: true })] });
    if (status.enabled) http.expectOne('/auth/trusted-devices').flush({ devices });
    await fixture.whenStable();
  }

  const statusText = () => el.querySelector('[data-testid="twofa-status"]')?.textContent?.trim();
  const flushEvents = () => http.expectOne('/auth/security-events').flush({ events: [], nextCursor: null });
  /** After enable, disable and new backup codes: the activity, the sessions and the remembered devices. */
  /** A user who may only set 2FA up: the API answers TWOFA_SETUP_REQUIRED to the other cards. */
  async function createSetupRequired(user: User): Promise<void> {
    signIn(user);
    fixture = TestBed.createComponent(ProfilePage);
    el = fixture.nativeElement;
    const required = errorResponse(403, 'TWOFA_SETUP_REQUIRED');
    http.expectOne('/auth/2fa/status').flush(required.body, required.opts);
    http.expectOne('/auth/2fa/passkeys').flush(required.body, required.opts);
    await fixture.whenStable();
  }

  async function flushLists(expected: { devices: boolean }): Promise<void> {
    await fixture.whenStable();
    flushEvents();
    http.expectOne('/auth/sessions').flush({ sessions: [aSession({ current: true })] });
    if (expected.devices) http.expectOne('/auth/trusted-devices').flush({ devices: [] });
    else http.expectNone('/auth/trusted-devices');
    // Turning 2FA off removed every passkey: their card asks again.
    if (!expected.devices) http.expectOne('/auth/2fa/passkeys').flush({ passkeys: [] });
    else http.expectNone('/auth/2fa/passkeys');
    await fixture.whenStable();
  }

  async function click(text: string): Promise<void> {
    buttonByText(el, text).click();
    await fixture.whenStable();
  }

  /** "Enable two-factor authentication" → the API issues the key → the QR step (the activity reloads). */
  async function openSetup(opts: { activity?: boolean } = {}): Promise<void> {
    await click('Enable two-factor authentication');
    http.expectOne('/auth/2fa/setup').flush({ secret: SECRET, otpauthUrl: OTPAUTH });
    await fixture.whenStable();
    if (opts.activity !== false) flushEvents();
  }

  /** The same tab loads the page again (a reload): the status, then the cards' lists. */
  async function reopen(status: { enabled: boolean; backupCodesRemaining: number }): Promise<void> {
    fixture.destroy();
    fixture = TestBed.createComponent(ProfilePage);
    el = fixture.nativeElement;
    http.expectOne('/auth/2fa/status').flush(status);
    http.expectOne('/auth/2fa/passkeys').flush({ passkeys: [] });
    await fixture.whenStable();
    flushEvents();
    http.expectOne('/auth/sessions').flush({ sessions: [aSession({ current: true })] });
    if (status.enabled) http.expectOne('/auth/trusted-devices').flush({ devices: [] });
  }

  it('off → (password) → QR and key → confirm → backup codes → on → disable → off', async () => {
    await create({ enabled: false, backupCodesRemaining: 0 });
    expect(statusText()).toBe('Off');

    // Enable: the login is older than 10 minutes, so the API wants the password.
    await click('Enable two-factor authentication');
    const setup = http.expectOne('/auth/2fa/setup');
    expect(setup.request.body).toEqual({});
    const reauth = errorResponse(401, 'REAUTH_REQUIRED');
    setup.flush(reauth.body, reauth.opts);
    http.expectNone('/auth/refresh');
    await fixture.whenStable();
    expect(el.textContent).toContain('For your security, confirm your password to continue.');
    typeInto(inputByLabel(el, 'Password'), 'correct horse battery');
    await click('Continue');
    const setup2 = http.expectOne('/auth/2fa/setup');
    expect(setup2.request.body).toEqual({ password: 'correct horse battery' });
    setup2.flush({ secret: SECRET, otpauthUrl: OTPAUTH });
    await fixture.whenStable();
    flushEvents(); // TWOFA_SETUP_STARTED shows up in the activity

    // The QR (error correction M) and the manual key in groups of four.
    const qr = fixture.debugElement.query(By.directive(FakeQrCode));
    expect(qr.parent?.nativeElement.getAttribute('data-testid')).toBe('qr');
    const qrInputs = qr.componentInstance as FakeQrCode;
    expect(qrInputs.qrdata()).toBe(OTPAUTH);
    expect(qrInputs.errorCorrectionLevel()).toBe('M');
    expect(qrInputs.width()).toBeGreaterThanOrEqual(200);
    expect(qrInputs.colorLight()).toBe('#ffffffff');
    expect(qrInputs.margin()).toBeGreaterThanOrEqual(4);
    expect(el.querySelector('[data-testid="manual-key"]')?.textContent?.trim()).toBe('JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP');
    expect(statusText()).toBe('Off');

    // Confirm with a code (pasted with a space); the proof was the setup's: enable sends {token} only.
    expect(inputByLabel(el, 'Password')).toBeNull();
    typeInto(inputByLabel(el, 'Authentication code'), '123 456');
    await click('Verify and enable');
    const enable = http.expectOne('/auth/2fa/enable');
    expect(enable.request.body).toEqual({ token: '123456' });
    enable.flush({ message: '2FA enabled', backupCodes: CODES });
    await flushLists({ devices: true }); // the remembered-devices card appears

    // Backup codes, shown once.
    const items = el.querySelectorAll('[data-testid="backup-codes"] li');
    expect(Array.from(items).map((li) => li.textContent?.trim())).toEqual(CODES);
    expect(statusText()).toBe('On');
    expect(TestBed.inject(SessionStore).user()?.twoFactorEnabled).toBe(true);
    await click('I saved them');
    expect(el.querySelector('[data-testid="backup-codes"]')).toBeNull();
    expect(el.textContent).toContain('Backup codes left: 10.');

    // Disable, in a modal dialog, with the password and a code.
    await click('Disable');
    const dialog = el.querySelector<HTMLDialogElement>('[data-testid="disable-dialog"]')!;
    expect(dialogProto['showModal']).toHaveBeenCalledTimes(1);
    expect(dialog.hasAttribute('open')).toBe(true);
    typeInto(inputByLabel(dialog, 'Password'), 'correct horse battery');
    typeInto(inputByLabel(dialog, 'Authentication code'), '246 810');
    await fixture.whenStable();
    buttonByText(dialog, 'Turn off two-factor authentication').click();
    const disable = http.expectOne('/auth/2fa/disable');
    expect(disable.request.body).toEqual({ password: 'correct horse battery', code: '246810' });
    disable.flush({ message: '2FA disabled' });
    await flushLists({ devices: false });
    expect(el.querySelector('[data-testid="trusted-devices-card"]')).toBeNull();
    expect(dialog.hasAttribute('open')).toBe(false);
    expect(statusText()).toBe('Off');
    expect(buttonByText(el, 'Enable two-factor authentication')).toBeTruthy();
    expect(TestBed.inject(SessionStore).user()?.twoFactorEnabled).toBe(false);
  });

  it('refuses a malformed confirmation code and shows the API’s invalid code with attempts left', async () => {
    await create({ enabled: false, backupCodesRemaining: 0 });
    await openSetup();

    typeInto(inputByLabel(el, 'Authentication code'), '12345');
    await click('Verify and enable');
    http.expectNone('/auth/2fa/enable');
    expect(alerts(el)).toContain('The code is 6 digits, like 123456.');

    typeInto(inputByLabel(el, 'Authentication code'), '000000');
    await click('Verify and enable');
    const enable = http.expectOne('/auth/2fa/enable');
    expect(enable.request.body).toEqual({ token: '000000' });
    const invalid = errorResponse(400, 'INVALID_CODE', { attemptsRemaining: 4 });
    enable.flush(invalid.body, invalid.opts);
    await fixture.whenStable();
    expect(alerts(el).join(' ')).toContain('4 attempts remaining.');
    expect(statusText()).toBe('Off');
    expect(el.querySelector('[data-testid="qr"]')).not.toBeNull();
  });

  it('goes back to "off" when the pending setup is gone', async () => {
    await create({ enabled: false, backupCodesRemaining: 0 });
    await openSetup();
    typeInto(inputByLabel(el, 'Authentication code'), '123456');
    await click('Verify and enable');
    const gone = errorResponse(400, 'NO_PENDING_SETUP');
    http.expectOne('/auth/2fa/enable').flush(gone.body, gone.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Your setup expired. Please start again.']);
    expect(buttonByText(el, 'Enable two-factor authentication')).toBeTruthy();
  });

  it('regenerates backup codes with the password AND a current code, asked together (rule 7)', async () => {
    await create({ enabled: true, backupCodesRemaining: 2 });
    expect(statusText()).toBe('On');
    expect(el.querySelector('[data-testid="backup-codes-remaining"]')?.className).toContain('warn-text');
    await click('Regenerate backup codes');
    const dialog = el.querySelector<HTMLDialogElement>('[data-testid="regenerate-dialog"]')!;
    expect(dialog.hasAttribute('open')).toBe(true);
    typeInto(inputByLabel(dialog, 'Password'), 'my password');
    typeInto(inputByLabel(dialog, 'Authentication code'), '111 222');
    await fixture.whenStable();
    buttonByText(dialog, 'Create new codes').click();
    const req = http.expectOne('/auth/2fa/backup-codes');
    expect(req.request.body).toEqual({ password: 'my password', code: '111222' });
    req.flush({ backupCodes: CODES });
    await flushLists({ devices: true });
    expect(el.querySelectorAll('[data-testid="backup-codes"] li')).toHaveLength(10);
    expect(el.textContent).toContain('the old ones no longer work');
    await click('I saved them');
    expect(el.textContent).toContain('Backup codes left: 10.');
  });

  it('disables with the password and a backup code, after a wrong password', async () => {
    await create({ enabled: true, backupCodesRemaining: 10 });
    await click('Disable');
    const dialog = el.querySelector<HTMLDialogElement>('[data-testid="disable-dialog"]')!;
    buttonByText(dialog, 'Use a backup code instead').click();
    await fixture.whenStable();
    expect(inputByLabel(dialog, 'Authentication code')).toBeNull();
    typeInto(inputByLabel(dialog, 'Password'), 'wrong');
    typeInto(inputByLabel(dialog, 'Backup code'), 'abcd efgh');
    await fixture.whenStable();
    buttonByText(dialog, 'Turn off two-factor authentication').click();
    const first = http.expectOne('/auth/2fa/disable');
    expect(first.request.body).toEqual({ password: 'wrong', backupCode: 'abcd-efgh' });
    const wrong = errorResponse(401, 'INVALID_PASSWORD', { attemptsRemaining: 4 });
    first.flush(wrong.body, wrong.opts);
    http.expectNone('/auth/refresh');
    await fixture.whenStable();
    expect(alerts(dialog)).toEqual(['Incorrect password. 4 attempts remaining.']);
    expect(dialog.hasAttribute('open')).toBe(true);

    typeInto(inputByLabel(dialog, 'Password'), 'right password');
    await fixture.whenStable();
    buttonByText(dialog, 'Turn off two-factor authentication').click();
    const disable = http.expectOne('/auth/2fa/disable');
    expect(disable.request.body).toEqual({ password: 'right password', backupCode: 'abcd-efgh' });
    disable.flush({ message: '2FA disabled' });
    await flushLists({ devices: false });
    expect(statusText()).toBe('Off');
  });

  it('does not claim a code is asked at every login when this browser is remembered', async () => {
    await create({ enabled: true, backupCodesRemaining: 10 }, [], [
      aTrustedDevice({ id: 'd1', current: true, expiresAt: '2026-12-20T08:00:00Z' }),
    ]);
    const hint = () => el.querySelector('[data-testid="twofa-login-hint"]')?.textContent?.replace(/\s+/g, ' ');
    expect(hint()).toContain('This browser is remembered until Dec 20, 2026');
    expect(hint()).not.toContain('each time you log in');
    expect(el.querySelector('[data-testid="current-device"]')?.textContent?.trim()).toBe('This browser');

    buttonByText(el, 'Forget').click();
    http.expectOne('/auth/trusted-devices/d1').flush(null, { status: 204, statusText: 'No Content' });
    await fixture.whenStable();
    expect(hint()).toContain('You’ll be asked for a code from your authenticator app each time you log in.');
  });

  it('"Cancel" closes the dialog without calling the API', async () => {
    await create({ enabled: true, backupCodesRemaining: 10 });
    await click('Disable');
    const dialog = el.querySelector<HTMLDialogElement>('[data-testid="disable-dialog"]')!;
    buttonByText(dialog, 'Cancel').click();
    await fixture.whenStable();
    expect(dialog.hasAttribute('open')).toBe(false);
    expect(dialog.querySelector('form')).toBeNull();
    http.expectNone('/auth/2fa/disable');
    expect(statusText()).toBe('On');
  });

  it('shows recent security activity in words', async () => {
    await create({ enabled: true, backupCodesRemaining: 10 }, [
      { id: '2', type: 'TOTP_REPLAY', ip: '203.0.113.9', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0', createdAt: '2026-11-25T08:00:00Z', detail: null },
      { id: '1', type: 'LOGIN_SUCCESS', ip: '127.0.0.1', userAgent: null, createdAt: '2026-11-25T07:00:00Z', detail: null },
    ]);
    const items = el.querySelectorAll('[data-testid="security-events"] li');
    expect(items).toHaveLength(2);
    expect(items[0].textContent).toContain('An already used code was tried again — if this wasn’t you, change your password');
    expect(items[0].textContent).toContain('Firefox on Linux');
    expect(items[0].className).toContain('activity-warn');
    expect(items[1].textContent).toContain('Logged in');
  });

  it('"Log out everywhere" ends every session and goes to /login', async () => {
    await create({ enabled: false, backupCodesRemaining: 0 });
    await click('Log out everywhere');
    http.expectOne('/auth/logout-all').flush({ message: 'Logged out everywhere' });
    await tick();
    expect(TestBed.inject(Router).url).toBe('/login');
    expect(TestBed.inject(SessionStore).notice()).toBe(AUTH_MESSAGES.loggedOutEverywhere);
  });

  it('after an admin reset without the emailed link: says where the link is, offers to send it again, and opens no setup (rule 20)', async () => {
    await createSetupRequired(aUser({ twoFactorRequirement: { reason: 'admin_reset', blocked: true, deadline: null } }));
    expect(el.querySelector('[data-testid="enrolment-link-notice"]')?.textContent).toContain(
      'We emailed you a link to set up two-factor authentication again. Open it on this browser.',
    );
    await click('Enable two-factor authentication');
    http.expectNone('/auth/2fa/setup');
    await click('Send the link again');
    http.expectOne('/auth/2fa/enrolment-link').flush({ message: 'sent' }, { status: 202, statusText: 'Accepted' });
    await fixture.whenStable();
    expect(el.textContent).toContain('A new link is on its way');
  });

  it('an admin who must set up 2FA first sees only that: no failing cards, no error box, no "Try again"', async () => {
    await createSetupRequired(aUser({ role: 'ADMIN' }));
    http.expectNone('/auth/security-events');
    http.expectNone('/auth/sessions');
    http.expectNone('/auth/trusted-devices');
    expect(statusText()).toBe('Off');
    expect(el.textContent).toContain('Your account requires two-factor authentication');
    expect(alerts(el)).toEqual([]);
    expect(el.querySelector('[data-testid="sessions-card"]')).toBeNull();
    expect(el.querySelector('[data-testid="security-activity-card"]')).toBeNull();
    expect(el.querySelector('[data-testid="setup-required-hint"]')?.textContent).toContain('once two-factor authentication is on');
    const buttons = Array.from(el.querySelectorAll('button')).filter((b) => !b.closest('dialog'));
    // The authenticator app or a passkey: either turns it on.
    expect(buttons.map((b) => b.textContent?.trim())).toEqual(['Enable two-factor authentication', 'Add a passkey or security key']);

    // Once it is on, the cards appear (and load).
    await openSetup({ activity: false }); // an admin's page has no activity card
    typeInto(inputByLabel(el, 'Authentication code'), '123456');
    await click('Verify and enable');
    http.expectOne('/auth/2fa/enable').flush({ message: '2FA enabled', backupCodes: CODES });
    await flushLists({ devices: true });
    expect(el.querySelector('[data-testid="sessions-card"]')).not.toBeNull();
    expect(el.querySelector('[data-testid="setup-required-hint"]')).toBeNull();
  });

  it('also when only the API knows (403 on status for a user /auth/me called USER): the cards go away', async () => {
    signIn(aUser());
    fixture = TestBed.createComponent(ProfilePage);
    el = fixture.nativeElement;
    const required = errorResponse(403, 'TWOFA_SETUP_REQUIRED');
    http.expectOne('/auth/2fa/status').flush(required.body, required.opts);
    await fixture.whenStable();
    for (const url of ['/auth/security-events', '/auth/sessions', '/auth/2fa/passkeys']) {
      for (const req of http.match(url)) req.flush(required.body, required.opts);
    }
    await fixture.whenStable();
    expect(alerts(el)).toEqual([]);
    expect(el.querySelector('[data-testid="sessions-card"]')).toBeNull();
    expect(el.textContent).not.toContain('Log out everywhere');
  });

  describe('setup survives a reload, and the dashboard link starts it', () => {
    const setupKey = () => sessionStorage.getItem('twofa.setupInProgress');

    it('a reload during setup shows the QR again: the tab remembers setup was under way and the API returns the same key', async () => {
      await create({ enabled: false, backupCodesRemaining: 0 });
      await openSetup();
      expect(setupKey()).toBe('u1');

      await reopen({ enabled: false, backupCodesRemaining: 0 });
      const again = http.expectOne('/auth/2fa/setup');
      expect(again.request.body).toEqual({});
      again.flush({ secret: SECRET, otpauthUrl: OTPAUTH });
      await fixture.whenStable();
      flushEvents();
      expect(el.querySelector('[data-testid="manual-key"]')?.textContent?.trim()).toBe('JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP');
      expect(fixture.debugElement.query(By.directive(FakeQrCode)).componentInstance.qrdata()).toBe(OTPAUTH);
    });

    it('"Cancel" ends it: the next visit does not start setup', async () => {
      await create({ enabled: false, backupCodesRemaining: 0 });
      await openSetup();
      await click('Cancel');
      expect(setupKey()).toBeNull();
      await reopen({ enabled: false, backupCodesRemaining: 0 });
      http.expectNone('/auth/2fa/setup');
    });

    it('another account in this tab does not inherit it; once 2FA is on the flag is dropped', async () => {
      sessionStorage.setItem('twofa.setupInProgress', 'someone-else');
      await create({ enabled: false, backupCodesRemaining: 0 });
      http.expectNone('/auth/2fa/setup');
      sessionStorage.setItem('twofa.setupInProgress', 'u1');
      await reopen({ enabled: true, backupCodesRemaining: 10 });
      http.expectNone('/auth/2fa/setup');
      expect(setupKey()).toBeNull();
    });

    it('/profile?setup=start (the dashboard\'s "Enable two-factor authentication") starts setup on arrival and drops the parameter', async () => {
      const router = TestBed.inject(Router);
      await router.navigateByUrl('/profile?setup=start');
      await create({ enabled: false, backupCodesRemaining: 0 });
      http.expectOne('/auth/2fa/setup').flush({ secret: SECRET, otpauthUrl: OTPAUTH });
      await fixture.whenStable();
      flushEvents();
      await tick();
      expect(router.url).toBe('/profile');
      expect(el.querySelector('[data-testid="qr"]')).not.toBeNull();
    });
  });

  it('a code from a phone whose clock is off says so at setup confirmation', async () => {
    await create({ enabled: false, backupCodesRemaining: 0 });
    await openSetup();
    typeInto(inputByLabel(el, 'Authentication code'), '123456');
    await click('Verify and enable');
    const drift = errorResponse(400, 'INVALID_CODE', { attemptsRemaining: 4, reason: 'clock_drift', driftSeconds: -120 });
    http.expectOne('/auth/2fa/enable').flush(drift.body, drift.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual([
      'Your authenticator’s clock looks about 2 minutes slow: set the phone’s time to automatic, then try the next code. 4 attempts remaining.',
    ]);
    expect(el.querySelector('[data-testid="qr"]')).not.toBeNull();
  });
});
