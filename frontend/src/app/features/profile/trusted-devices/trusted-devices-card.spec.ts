import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { TrustedDevice } from '../../../core/auth/api.types';
import { aTrustedDevice } from '../../../../testing/fixtures';
import { alerts, buttonByText, errorResponse, provideTestApp, signIn } from '../../../../testing/test-utils';
import { TrustedDevicesCard } from './trusted-devices-card';

const NO_CONTENT = { status: 204, statusText: 'No Content' };

describe('TrustedDevicesCard', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<TrustedDevicesCard>;
  let el: HTMLElement;
  let thisBrowser: (TrustedDevice | null)[];

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: provideTestApp() });
    http = TestBed.inject(HttpTestingController);
    signIn();
  });

  afterEach(() => http.verify());

  async function create(devices: TrustedDevice[]) {
    fixture = TestBed.createComponent(TrustedDevicesCard);
    el = fixture.nativeElement;
    thisBrowser = [];
    fixture.componentInstance.thisBrowserChange.subscribe((d) => thisBrowser.push(d));
    http.expectOne('/auth/trusted-devices').flush({ devices });
    await fixture.whenStable();
  }

  const rows = () => Array.from(el.querySelectorAll<HTMLElement>('[data-testid="trusted-device"]'));
  const row = (id: string) => el.querySelector<HTMLElement>(`[data-testid="trusted-device"][data-device-id="${id}"]`)!;
  const status = () => el.querySelector('[data-testid="trusted-devices-status"]')?.textContent?.trim();

  it('lists remembered devices, marks this browser, and tells the parent', async () => {
    const here = aTrustedDevice({ id: 'here', current: true, device: 'Chrome on Linux', lastUsedAt: null });
    await create([here, aTrustedDevice({ id: 'phone', device: 'Safari on iOS' })]);
    expect(rows()).toHaveLength(2);
    expect(row('here').getAttribute('data-current')).toBe('true');
    expect(row('here').querySelector('[data-testid="current-device"]')?.textContent?.trim()).toBe('This browser');
    expect(row('phone').querySelector('[data-testid="current-device"]')).toBeNull();
    const text = row('here').textContent!.replace(/\s+/g, ' ');
    expect(text).toContain('198.51.100.7');
    expect(text).toContain('Not yet');
    expect(text).toContain('Dec 20, 2026');
    expect(row('phone').querySelector('button')?.getAttribute('aria-label')).toBe('Forget Safari on iOS, 198.51.100.7');
    expect(row('here').querySelector('button')?.getAttribute('aria-label')).toBe('Forget this browser (Chrome on Linux, 198.51.100.7)');
    expect(thisBrowser).toEqual([here]);
  });

  it('"Forget": DELETE, buttons wait meanwhile, the row goes; forgetting this browser tells the parent', async () => {
    await create([aTrustedDevice({ id: 'here', current: true }), aTrustedDevice({ id: 'other', device: 'Edge on Windows' })]);
    row('other').querySelector('button')!.click();
    await fixture.whenStable();
    const req = http.expectOne('/auth/trusted-devices/other');
    expect(req.request.method).toBe('DELETE');
    expect(row('here').querySelector('button')!.disabled).toBe(true);
    req.flush(null, NO_CONTENT);
    await fixture.whenStable();
    expect(rows()).toHaveLength(1);
    expect(status()).toBe('Edge on Windows is forgotten: its next login will ask for a code.');
    expect(thisBrowser.at(-1)?.id).toBe('here');

    buttonByText(el, 'Forget').click();
    http.expectOne('/auth/trusted-devices/here').flush(null, NO_CONTENT);
    await fixture.whenStable();
    expect(status()).toBe('This browser is forgotten: its next login will ask for a code.');
    expect(thisBrowser.at(-1)).toBeNull();
    expect(el.querySelector('[data-testid="trusted-devices-empty"]')).not.toBeNull();
  });

  it('treats 404 as already forgotten, and shows other errors', async () => {
    await create([aTrustedDevice({ id: 'a' }), aTrustedDevice({ id: 'b' })]);
    row('a').querySelector('button')!.click();
    const gone = errorResponse(404, 'NOT_FOUND');
    http.expectOne('/auth/trusted-devices/a').flush(gone.body, gone.opts);
    await fixture.whenStable();
    expect(rows()).toHaveLength(1);
    expect(status()).toBe('Firefox on Linux was no longer remembered.');

    row('b').querySelector('button')!.click();
    http.expectOne('/auth/trusted-devices/b').flush({ message: 'nope', code: 'INTERNAL_ERROR' }, { status: 500, statusText: 'x' });
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Could not forget Firefox on Linux. nope']);
    expect(rows()).toHaveLength(1);
    expect(row('b').querySelector('button')!.disabled).toBe(false);
  });

  it('says when nothing is remembered, and shows a load error with "Try again"', async () => {
    fixture = TestBed.createComponent(TrustedDevicesCard);
    el = fixture.nativeElement;
    http.expectOne('/auth/trusted-devices').flush({ message: 'down', code: 'X' }, { status: 500, statusText: 'x' });
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Could not load your remembered devices. down']);
    buttonByText(el, 'Try again').click();
    http.expectOne('/auth/trusted-devices').flush({ devices: [] });
    await fixture.whenStable();
    expect(el.textContent).toContain('No remembered devices: every login asks for a code.');
  });
});
