import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable, map } from 'rxjs';
import {
  FactorRemoved,
  Passkey,
  PasskeyAdded,
  PasskeyAttestation,
  PasskeyCreationOptions,
  PasskeyList,
  PasskeyRequestOptions,
  SecondFactorProof,
} from '../auth/api.types';

/** The user's passkeys and security keys (notes/ISSUE13.md: /auth/2fa/passkeys*). */
@Injectable({ providedIn: 'root' })
export class PasskeysApi {
  private readonly http = inject(HttpClient);

  list(): Observable<Passkey[]> {
    return this.http.get<PasskeyList>('/auth/2fa/passkeys').pipe(map((r) => r?.passkeys ?? []));
  }

  /** `{}`, or `{password}` once the API answered 401 REAUTH_REQUIRED (the login is over 10 minutes old). */
  registrationOptions(password?: string): Observable<PasskeyCreationOptions> {
    return this.http.post<PasskeyCreationOptions>('/auth/2fa/passkeys/registration-options', password ? { password } : {});
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
  remove(id: string, body: { password: string } & SecondFactorProof): Observable<FactorRemoved> {
    return this.http.post<FactorRemoved>(`/auth/2fa/passkeys/${encodeURIComponent(id)}/remove`, body);
  }

  /** A WebAuthn challenge to prove a change with one of the user's passkeys. */
  proofOptions(): Observable<PasskeyRequestOptions> {
    return this.http.post<PasskeyRequestOptions>('/auth/2fa/passkeys/proof-options', {});
  }
}
