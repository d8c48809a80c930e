import { HttpErrorResponse } from '@angular/common/http';
import { PASSKEY_ALREADY_ADDED, PASSKEY_REFUSED, PASSKEY_REFUSED_AT_LOGIN, browserRefusal, browserRefusalText } from './webauthn-client';

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
