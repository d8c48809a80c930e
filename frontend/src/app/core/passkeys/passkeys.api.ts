import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable, map } from 'rxjs';
import {
  FactorRemoved,
  FactorSetupProof,
  Passkey,
  PasskeyAdded,
  PasskeyAttestation,
  PasskeyCreationOptions,
  PasskeyList,
  PasskeyRequestOptions,
  PasswordAndProof,
} from '../auth/api.types';
import { ListedPasskey } from './passkey-login.types';

/** The user's passkeys and security keys (notes/ISSUE13.md: /auth/2fa/passkeys*). */
@Injectable({ providedIn: 'root' })
export class PasskeysApi {
  private readonly http = inject(HttpClient);

  /** Each with `signInWithoutPassword` when it can sign in alone (issue 20). */
  list(): Observable<ListedPasskey[]> {
    return this.http.get<PasskeyList>('/auth/2fa/passkeys').pipe(map((r) => r?.passkeys ?? []));
  }

  /**
   * The proof of adding a passkey goes here (POST /auth/2fa/passkeys then carries none). Without 2FA:
   * `{}`, or `{password}` once the API answered REAUTH_REQUIRED; with 2FA: the password AND a second
   * factor; after an admin reset: `{enrolmentToken, password}`.
   */
  registrationOptions(proof: FactorSetupProof = {}): Observable<PasskeyCreationOptions> {
    return this.http.post<PasskeyCreationOptions>('/auth/2fa/passkeys/registration-options', proof);
  }

  /** 201 `{passkey, backupCodes?}`: the codes only when this is the user's first factor. */
  add(name: string, response: PasskeyAttestation): Observable<PasskeyAdded> {
    return this.http.post<PasskeyAdded>('/auth/2fa/passkeys', { name, response });
  }

  rename(id: string, name: string): Observable<Passkey> {
    return this.http
      .patch<{ passkey: Passkey }>(`/auth/2fa/passkeys/${encodeURIComponent(id)}`, { name })
      .pipe(map((r) => r.passkey));
  }

  /** The password and another factor; `twoFactorEnabled: false` when it was the last factor. */
  remove(id: string, body: PasswordAndProof): Observable<FactorRemoved> {
    return this.http.post<FactorRemoved>(`/auth/2fa/passkeys/${encodeURIComponent(id)}/remove`, body);
  }

  /** A WebAuthn challenge to prove a change with one of the user's passkeys. */
  proofOptions(): Observable<PasskeyRequestOptions> {
    return this.http.post<PasskeyRequestOptions>('/auth/2fa/passkeys/proof-options', {});
  }
}
