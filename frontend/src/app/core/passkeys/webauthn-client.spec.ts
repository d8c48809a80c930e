import { HttpErrorResponse } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import { PASSKEY_ALREADY_ADDED, WebAuthnClient, PASSKEY_REFUSED, PASSKEY_REFUSED_AT_LOGIN, browserRefusal, browserRefusalText } from './webauthn-client';

describe('browser refusals of a WebAuthn call', () => {
  it('NotAllowedError (cancelled, timed out, user verification failed) and AbortError are refusals', () => {
    expect(browserRefusal(new DOMException('x', 'NotAllowedError'))).toBe('refused');
    expect(browserRefusal(new DOMException('x', 'AbortError'))).toBe('refused');
    // @simplewebauthn/browser wraps them in a WebAuthnError that keeps the name and adds a code
    expect(browserRefusal(Object.assign(new Error('x'), { name: 'NotAllowedError', code: 'ERROR_PASSTHROUGH_SEE_CAUSE_PROPERTY' }))).toBe('refused');
    expect(browserRefusalText(new DOMException('x', 'NotAllowedError'), PASSKEY_REFUSED_AT_LOGIN)).toBe(PASSKEY_REFUSED_AT_LOGIN);
    expect(browserRefusalText(new DOMException('x', 'NotAllowedError'))).toBe(PASSKEY_REFUSED);
  });

  it('a credential already registered (excludeCredentials) says so', () => {
    const err = Object.assign(new Error('The authenticator was previously registered'), { name: 'InvalidStateError', code: 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' });
    expect(browserRefusalText(err)).toBe(PASSKEY_ALREADY_ADDED);
  });

  it('an API error is not a browser refusal', () => {
    expect(browserRefusal(new HttpErrorResponse({ status: 400 }))).toBeNull();
  });
});

describe('WebAuthnClient passkey autofill', () => {
  const bytes = (text: string) => new TextEncoder().encode(text).buffer;
  const g = globalThis as unknown as Record<string, unknown>;
  let calls: CredentialRequestOptions[];
  let answer: (options: CredentialRequestOptions) => Promise<unknown>;

  beforeEach(() => {
    calls = [];
    answer = async () => ({
      id: 'Y3JlZA',
      rawId: bytes('cred'),
      type: 'public-key',
      authenticatorAttachment: 'platform',
      response: { authenticatorData: bytes('ad'), clientDataJSON: bytes('cd'), signature: bytes('sig'), userHandle: bytes('u1') },
      getClientExtensionResults: () => ({}),
    });
    Object.defineProperty(navigator, 'credentials', {
      configurable: true,
      value: {
        get: (options: CredentialRequestOptions) => {
          calls.push(options);
          return answer(options);
        },
      },
    });
  });

  afterEach(() => {
    delete (navigator as unknown as Record<string, unknown>)['credentials'];
    delete g['PublicKeyCredential'];
  });

  it('is available only where the browser says conditional mediation is', async () => {
    const client = TestBed.inject(WebAuthnClient);
    expect(await client.autofillAvailable()).toBe(false); // jsdom: no PublicKeyCredential
    g['PublicKeyCredential'] = function PublicKeyCredential() {};
    expect(await client.autofillAvailable()).toBe(false); // no isConditionalMediationAvailable
    g['PublicKeyCredential'] = Object.assign(function PublicKeyCredential() {}, { isConditionalMediationAvailable: async () => true });
    expect(await client.autofillAvailable()).toBe(true);
    g['PublicKeyCredential'] = Object.assign(function PublicKeyCredential() {}, { isConditionalMediationAvailable: () => Promise.reject(new Error('x')) });
    expect(await client.autofillAvailable()).toBe(false);
  });

  it('a conditional navigator.credentials.get with the options and the signal, answered as JSON', async () => {
    const abort = new AbortController();
    const assertion = await TestBed.inject(WebAuthnClient).autofill(
      { challenge: 'Y2hhbGxlbmdl', allowCredentials: [], userVerification: 'required', rpId: 'localhost', timeout: 60000 },
      abort.signal,
    );
    expect(calls).toHaveLength(1);
    const { mediation, signal, publicKey } = calls[0];
    expect([mediation, signal]).toEqual(['conditional', abort.signal]);
    expect(new TextDecoder().decode(publicKey!.challenge as ArrayBuffer)).toBe('challenge');
    expect({ ...publicKey, challenge: undefined }).toEqual({
      challenge: undefined,
      allowCredentials: [],
      userVerification: 'required',
      rpId: 'localhost',
      timeout: 60000,
    });
    expect(assertion).toEqual({
      id: 'Y3JlZA',
      rawId: 'Y3JlZA',
      type: 'public-key',
      response: { authenticatorData: 'YWQ', clientDataJSON: 'Y2Q', signature: 'c2ln', userHandle: 'dTE' },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    });
  });

  it('an aborted signal starts nothing; an abort while waiting rejects with the browser’s AbortError', async () => {
    const client = TestBed.inject(WebAuthnClient);
    const before = new AbortController();
    before.abort();
    await expect(client.autofill({ challenge: 'Y2g' }, before.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(calls).toEqual([]);

    answer = (options) =>
      new Promise((_, reject) => options.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    const during = new AbortController();
    const pending = client.autofill({ challenge: 'Y2g' }, during.signal);
    during.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(browserRefusal(await pending.catch((e: unknown) => e))).toBe('refused');
  });
});
