import { HttpErrorResponse } from '@angular/common/http';
import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom, toArray } from 'rxjs';
import { errorResponse, provideTestApp, tick } from '../../../testing/test-utils';
import {
  AUTOFILL_RENEW_MS,
  PASSKEY_SIGN_IN_CANCELLED,
  PASSKEY_SIGN_IN_UNKNOWN,
  PASSKEY_SIGN_IN_UNVERIFIED,
  PasskeySignIn,
  passkeySignInErrorMessage,
} from './passkey-sign-in';
import { WebAuthnClient } from './webauthn-client';

function apiError(status: number, code: string, extra: Record<string, unknown> = {}): HttpErrorResponse {
  const { body, opts } = errorResponse(status, code, extra);
  return new HttpErrorResponse({ error: body, status: opts.status, statusText: opts.statusText });
}

describe('passkeySignInErrorMessage', () => {
  it('names the way out: the password, another passkey, or the wait', () => {
    expect(passkeySignInErrorMessage(new DOMException('x', 'NotAllowedError'))).toBe(PASSKEY_SIGN_IN_CANCELLED);
    expect(passkeySignInErrorMessage(apiError(400, 'PASSKEY_FAILED', { reason: 'user_verification' }))).toBe(PASSKEY_SIGN_IN_UNVERIFIED);
    expect(passkeySignInErrorMessage(apiError(400, 'PASSKEY_FAILED'))).toBe(PASSKEY_SIGN_IN_UNKNOWN);
    expect(passkeySignInErrorMessage(apiError(400, 'PASSKEY_FAILED', { reason: 'something_new' }))).toBe(PASSKEY_SIGN_IN_UNKNOWN);
    expect(passkeySignInErrorMessage(apiError(429, 'TOO_MANY_ATTEMPTS', { retryAfterSeconds: 60 }))).toBe(
      'Too many attempts. Please wait 1 minute before trying again.',
    );
    expect(passkeySignInErrorMessage(new Error('WebAuthn is not supported in this browser'))).toBe('WebAuthn is not supported in this browser');
  });
});

describe('PasskeySignIn.autofill', () => {
  let http: HttpTestingController;
  let webauthn: { supported: () => boolean; autofillAvailable: () => Promise<boolean>; autofill: (o: unknown, s: AbortSignal) => Promise<unknown> };

  beforeEach(() => {
    webauthn = { supported: () => true, autofillAvailable: async () => true, autofill: async () => ({ id: 'c' }) };
    TestBed.configureTestingModule({ providers: [...provideTestApp(), { provide: WebAuthnClient, useFactory: () => webauthn }] });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('emits the chosen passkey; a browser or options failure ends quietly', async () => {
    const sut = TestBed.inject(PasskeySignIn);
    const chosen = firstValueFrom(sut.autofill().pipe(toArray()));
    await tick();
    http.expectOne('/auth/passkey/options').flush({ challenge: 'Y2g' });
    expect(await chosen).toEqual([{ id: 'c' }]);

    webauthn.autofill = () => Promise.reject(new DOMException('x', 'NotAllowedError'));
    const refused = firstValueFrom(sut.autofill().pipe(toArray()));
    await tick();
    http.expectOne('/auth/passkey/options').flush({ challenge: 'Y2g' });
    expect(await refused).toEqual([]);

    const limited = firstValueFrom(sut.autofill().pipe(toArray()));
    await tick();
    const slow = errorResponse(429, 'TOO_MANY_REQUESTS', { retryAfterSeconds: 60 });
    http.expectOne('/auth/passkey/options').flush(slow.body, slow.opts);
    expect(await limited).toEqual([]);
  });

  it('unsubscribing aborts the browser request', async () => {
    let signal: AbortSignal | undefined;
    webauthn.autofill = (_o, s) => {
      signal = s;
      return new Promise(() => undefined);
    };
    const sub = TestBed.inject(PasskeySignIn).autofill().subscribe();
    await tick();
    http.expectOne('/auth/passkey/options').flush({ challenge: 'Y2g' });
    await tick();
    expect(signal?.aborted).toBe(false);
    sub.unsubscribe();
    expect(signal?.aborted).toBe(true);
  });
  it('renews the challenge before the server forgets it: the waiting request is aborted and a new one starts', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    try {
      const signals: AbortSignal[] = [];
      const options: unknown[] = [];
      webauthn.autofill = (o, s) => {
        options.push(o);
        signals.push(s);
        return new Promise(() => undefined);
      };
      const sub = TestBed.inject(PasskeySignIn).autofill().subscribe();
      await vi.advanceTimersByTimeAsync(0);
      http.expectOne('/auth/passkey/options').flush({ challenge: 'Zmlyc3Q' });
      await vi.advanceTimersByTimeAsync(AUTOFILL_RENEW_MS - 1000);
      http.expectNone('/auth/passkey/options');
      expect(signals.map((s) => s.aborted)).toEqual([false]);

      await vi.advanceTimersByTimeAsync(1000);
      http.expectOne('/auth/passkey/options').flush({ challenge: 'c2Vjb25k' });
      await vi.advanceTimersByTimeAsync(0);
      expect(signals.map((s) => s.aborted)).toEqual([true, false]);
      expect(options).toEqual([{ challenge: 'Zmlyc3Q' }, { challenge: 'c2Vjb25k' }]);
      sub.unsubscribe();
      expect(signals.map((s) => s.aborted)).toEqual([true, true]);
    } finally {
      vi.useRealTimers();
    }
  });
});
