import { HttpErrorResponse } from '@angular/common/http';
import { Injectable } from '@angular/core';
import {
  base64URLStringToBuffer,
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  bufferToBase64URLString,
  startAuthentication,
  startRegistration,
} from '@simplewebauthn/browser';
import { PasskeyAssertion, PasskeyAttestation, PasskeyCreationOptions, PasskeyRequestOptions } from '../auth/api.types';

/**
 * The browser's side of WebAuthn, through @simplewebauthn/browser (the only importer). A service so
 * that unit tests replace the browser prompt (jsdom has no navigator.credentials).
 */
@Injectable({ providedIn: 'root' })
export class WebAuthnClient {
  supported(): boolean {
    return browserSupportsWebAuthn();
  }

  /** Creates a credential (the browser's "create a passkey" prompt). */
  create(optionsJSON: PasskeyCreationOptions): Promise<PasskeyAttestation> {
    return startRegistration({ optionsJSON });
  }

  /** Signs the server's challenge with one of the user's credentials (the "use a passkey" prompt). */
  get(optionsJSON: PasskeyRequestOptions): Promise<PasskeyAssertion> {
    return startAuthentication({ optionsJSON });
  }

  /** Whether the browser offers passkeys among the suggestions of an `autocomplete="… webauthn"` input. */
  autofillAvailable(): Promise<boolean> {
    return browserSupportsWebAuthnAutofill().catch(() => false);
  }

  /**
   * Passkey autofill (conditional mediation): waits until the user picks a passkey among the email
   * field's suggestions. Our own navigator.credentials.get, not startAuthentication, so that the
   * caller's `signal` aborts exactly this request (the library keeps one global controller).
   */
  async autofill(optionsJSON: PasskeyRequestOptions, signal: AbortSignal): Promise<PasskeyAssertion> {
    signal.throwIfAborted();
    const { challenge, rpId, timeout, userVerification } = optionsJSON;
    const publicKey: PublicKeyCredentialRequestOptions = {
      challenge: base64URLStringToBuffer(challenge),
      allowCredentials: [], // conditional mediation offers every discoverable credential of this site
      ...(rpId ? { rpId } : {}),
      ...(timeout ? { timeout } : {}),
      ...(userVerification ? { userVerification } : {}),
    };
    const credential = (await navigator.credentials.get({ mediation: 'conditional', publicKey, signal })) as PublicKeyCredential | null;
    if (!credential) throw new DOMException('No passkey was chosen', 'NotAllowedError');
    return assertionJSON(credential);
  }
}

/** A PublicKeyCredential from navigator.credentials.get as the JSON the API takes (what startAuthentication returns). */
function assertionJSON(credential: PublicKeyCredential): PasskeyAssertion {
  const response = credential.response as AuthenticatorAssertionResponse;
  const attachment = credential.authenticatorAttachment;
  return {
    id: credential.id,
    rawId: bufferToBase64URLString(credential.rawId),
    type: 'public-key',
    response: {
      authenticatorData: bufferToBase64URLString(response.authenticatorData),
      clientDataJSON: bufferToBase64URLString(response.clientDataJSON),
      signature: bufferToBase64URLString(response.signature),
      userHandle: response.userHandle ? bufferToBase64URLString(response.userHandle) : undefined,
    },
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: attachment === 'platform' || attachment === 'cross-platform' ? attachment : undefined,
  };
}

/** At the code step, after the browser said no. */
export const PASSKEY_REFUSED_AT_LOGIN = "Your passkey or security key did not confirm it's you. Try again or use a code.";
/** At the code step of an account without the authenticator app: a backup code is its way out. */
export const PASSKEY_REFUSED_AT_LOGIN_NO_APP = "Your passkey or security key did not confirm it's you. Try again or use a backup code.";
/** In the profile (adding one, or one as proof of a change). */
export const PASSKEY_REFUSED = "Your passkey or security key did not confirm it's you. Try again.";
export const PASSKEY_ALREADY_ADDED = 'This passkey or security key is already added to your account.';
export const PASSKEY_UNSUPPORTED = 'This browser cannot use passkeys or security keys.';

/**
 * Whether the browser's WebAuthn call failed (not the API): NotAllowedError covers a cancelled or
 * timed-out prompt and a failed user verification (the spec gives them one name on purpose, so a
 * site cannot tell which), AbortError a prompt replaced by another one.
 */
export function browserRefusal(err: unknown): 'refused' | 'already-added' | 'other' | null {
  // A DOMException is not an Error everywhere (jsdom): read the name and code of any object.
  if (typeof err !== 'object' || err === null || err instanceof HttpErrorResponse) return null;
  const { name, code } = err as { name?: unknown; code?: unknown };
  if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || name === 'InvalidStateError') return 'already-added';
  if (name === 'NotAllowedError' || name === 'AbortError' || code === 'ERROR_CEREMONY_ABORTED') return 'refused';
  return 'other';
}

/** The words for a failed browser call; `refused`: what to say when the user did not confirm (the code step names its way out). */
export function browserRefusalText(err: unknown, refused: string = PASSKEY_REFUSED): string {
  switch (browserRefusal(err)) {
    case 'already-added':
      return PASSKEY_ALREADY_ADDED;
    case 'other': {
      const message = (err as { message?: unknown }).message;
      return typeof message === 'string' && message ? message : PASSKEY_UNSUPPORTED;
    }
    default:
      return refused;
  }
}
