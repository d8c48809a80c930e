import { Passkey, User } from '../auth/api.types';

// Hand-written until the lead regenerates core/api/openapi.gen.ts from the contract (issue 20).

/** POST /auth/passkey/login: 200, the session cookies are set. */
export interface PasskeyLoginResponse {
  user: User;
}

/** A passkey in GET /auth/2fa/passkeys: `signInWithoutPassword` when it can sign in alone (discoverable, verifies the user). */
export type ListedPasskey = Passkey & { signInWithoutPassword?: boolean };
