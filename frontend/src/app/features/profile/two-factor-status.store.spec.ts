import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { SessionStore } from '../../core/auth/session.store';
import { aUser, errorResponse, provideTestApp, signIn } from '../../../testing/test-utils';
import { TwoFactorStatusStore } from './two-factor-status.store';

describe('TwoFactorStatusStore', () => {
  let store: TwoFactorStatusStore;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [...provideTestApp(), TwoFactorStatusStore] });
    http = TestBed.inject(HttpTestingController);
    store = TestBed.inject(TwoFactorStatusStore);
  });

  afterEach(() => http.verify());

  it('2FA is on with a passkey only: totp false, passkeys counted', () => {
    signIn(aUser({ twoFactorEnabled: true }));
    const loaded = vi.fn();
    store.load(loaded);
    http.expectOne('/auth/2fa/status').flush({ enabled: true, totp: false, passkeys: 2, backupCodesRemaining: 9, backupCodesTotal: 10 });
    expect(loaded).toHaveBeenCalledTimes(1);
    expect([store.enabled(), store.totp(), store.passkeys(), store.backupCodesRemaining()]).toEqual([true, false, 2, 9]);
  });

  it('an API without the factor fields: "enabled" meant TOTP', () => {
    store.load();
    http.expectOne('/auth/2fa/status').flush({ enabled: true, backupCodesRemaining: 10 });
    expect(store.totp()).toBe(true);
    expect(store.passkeys()).toBe(0);
  });

  it('a load error is shown, without calling `loaded`', () => {
    const loaded = vi.fn();
    store.load(loaded);
    const down = errorResponse(500, 'INTERNAL');
    http.expectOne('/auth/2fa/status').flush(down.body, down.opts);
    expect(store.state()).toBe('error');
    expect(store.loadError()).toBe('Could not load your two-factor status. INTERNAL message');
    expect(loaded).not.toHaveBeenCalled();
  });

  it('the last passkey removed turns 2FA off, also for the signed-in user', () => {
    signIn(aUser({ twoFactorEnabled: true }));
    store.load();
    http.expectOne('/auth/2fa/status').flush({ enabled: true, totp: false, passkeys: 1, backupCodesRemaining: 10 });
    store.passkeyRemoved(false);
    expect(store.enabled()).toBe(false);
    expect(store.backupCodesRemaining()).toBeNull();
    expect(TestBed.inject(SessionStore).user()?.twoFactorEnabled).toBe(false);
  });
});
