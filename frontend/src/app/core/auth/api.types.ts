/**
 * Types of the TwoFA REST API, as the SPA names them: aliases of the types generated from the API's
 * OpenAPI document (../api/openapi.gen.ts, written by `npm run contract` from the zod schemas the
 * backend validates with). Change the backend's schema or its *.openapi.ts, run `npm run contract`,
 * and these follow; a backend test fails while the generated file is stale.
 * All URLs are relative: the API lives on the SPA's origin.
 */
import type { ErrorCode, InvalidCodeReason } from '@twofa/contract';
import type { components, paths } from '../api/openapi.gen';

type Schemas = components['schemas'];
/** The JSON body a route takes. */
type RequestBody<P extends keyof paths, M extends 'post' | 'patch' | 'put'> = paths[P][M] extends {
  requestBody: { content: { 'application/json': infer B } };
}
  ? B
  : never;
/** Distributes Omit over a union (Omit itself collapses `A | B`). */
type OmitEach<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export type { InvalidCodeReason } from '@twofa/contract';

export type Role = Schemas['User']['role'];

/** What 2FA asks of the user (GET /auth/me and /auth/session only): TWOFA_REQUIRED_ROLES, or an admin reset. */
export type TwoFactorRequirement = Schemas['TwoFactorRequirement'];

/**
 * The user. `twoFactorRequirement` comes with GET /auth/me and /auth/session only (absent in login
 * answers); null when nothing is asked.
 */
export type User = Schemas['User'] & { twoFactorRequirement?: TwoFactorRequirement | null };

/** GET /auth/session: who is signed in in this browser (always 200; null when nobody is). */
export type SessionResponse = Schemas['SessionResponse'];

/**
 * Every API error body: `{message, code, ...extra}`. `code` also admits codes this build does not
 * know yet (a newer server), like `reason`.
 */
export type ApiErrorBody = Pick<Schemas['Error'], 'message' | 'attemptsRemaining' | 'retryAfterSeconds' | 'driftSeconds' | 'retryInSeconds' | 'fields' | 'needs'> & {
  code: ErrorCode | (string & {});
  /** INVALID_CODE: why the code was refused, when the server knows (PASSKEY_FAILED has its own reasons). */
  reason?: InvalidCodeReason | (string & {});
  [extra: string]: unknown;
};

export type Credentials = RequestBody<'/auth/login', 'post'>;

export type UserResponse = Schemas['UserResponse'];

/** What the code step accepts for this login (POST /auth/login answers them with requires2FA). */
export type LoginMethod = Schemas['LoginMethod'];

type LoginSession = Extract<Schemas['LoginResponse'], { user: unknown }>;
type LoginSecondStep = Extract<Schemas['LoginResponse'], { requires2FA: true }>;

/** POST /auth/login answers either a session (`{user}`) or a pending second step (`{requires2FA, methods}`). */
export type LoginResponse = (LoginSession & { requires2FA?: false; methods?: undefined }) | (LoginSecondStep & { user?: undefined });

/** LoginResponse, where `methods` may be missing (then the code page offers a code and a backup code). */
export type LoginResult = (LoginSession & { requires2FA?: false }) | (OmitEach<LoginSecondStep, 'methods'> & { methods?: LoginMethod[]; user?: undefined });

/** rememberDevice: the server skips the code step on this browser for 30 days (until 2FA changes). */
export type VerifyLoginRequest = RequestBody<'/auth/2fa/verify-login', 'post'>;

export type VerifyLoginResponse = Schemas['VerifyLoginResponse'];

export type TwoFactorSetupResponse = Schemas['TwoFactorSetupResponse'];

/** POST /auth/2fa/enable: backup codes only when TOTP is the user's first factor. */
export type TwoFactorEnableResponse = Schemas['TwoFactorEnableResponse'];
export type TwoFactorEnableResult = TwoFactorEnableResponse;

/** POST /auth/2fa/disable needs BOTH factors: the password and a code (or a backup code). */
export type TwoFactorDisableRequest = RequestBody<'/auth/2fa/disable', 'post'>;

/** The second factor given to prove a change: a current authenticator code or an unused backup code. */
export type TwoFactorProof = OmitEach<TwoFactorDisableRequest, 'password'>;

export type MessageResponse = Schemas['MessageResponse'];

/** GET /auth/2fa/status: "on" = TOTP or at least one passkey. */
export type TwoFactorStatus = Schemas['TwoFactorStatus'];

export type BackupCodesResponse = Schemas['BackupCodesResponse'];

/** Every event type the API writes (= the database enum; their words: @twofa/contract). */
export type SecurityEventType = Schemas['SecurityEventType'];

/** One security event. An unknown (newer) type is shown humanised. */
export type SecurityEvent = Omit<Schemas['SecurityEvent'], 'type'> & { type: SecurityEventType | (string & {}) };

/** GET /auth/security-events?limit=&before=: one page, newest first; `nextCursor` is null on the last page. */
export type SecurityEventsResponse = Omit<Schemas['SecurityEventsResponse'], 'events'> & { events: SecurityEvent[] };

/** limit 1..100 (the server's default is 50); before: the `nextCursor` of the previous page. */
export type SecurityEventsQuery = NonNullable<paths['/auth/security-events']['get']['parameters']['query']>;

/** How a session's login was verified (also `detail.method` of LOGIN_SUCCESS events). */
export type AuthMethod = Schemas['AuthMethod'];

/** One live login of the user (GET /auth/sessions). */
export type ActiveSession = Omit<Schemas['ActiveSession'], 'authMethod'> & { authMethod: AuthMethod | (string & {}) };

export type SessionsResponse = Omit<Schemas['SessionsResponse'], 'sessions'> & { sessions: ActiveSession[] };

/** POST /auth/sessions/revoke-others */
export type RevokeOthersResponse = Schemas['RevokeOthersResponse'];

/** A browser that skips the code step ("Remember this device for 30 days"; GET /auth/trusted-devices). */
export type TrustedDevice = Schemas['TrustedDevice'];

export type TrustedDevicesResponse = Schemas['TrustedDevicesResponse'];

// ---------------------------------------------------------------------------------------------
// Passkeys (issue 13). The WebAuthn JSON is @simplewebauthn/browser's, sent to the API unchanged.
// The passkey proofs are hand-written until the proof schemas take {passkey} in the contract.
// ---------------------------------------------------------------------------------------------

/** A WebAuthn answer as @simplewebauthn/browser returns it (sent to the API unchanged). */
export type PasskeyAssertion = import('@simplewebauthn/browser').AuthenticationResponseJSON;
export type PasskeyAttestation = import('@simplewebauthn/browser').RegistrationResponseJSON;
export type PasskeyCreationOptions = import('@simplewebauthn/browser').PublicKeyCredentialCreationOptionsJSON;
export type PasskeyRequestOptions = import('@simplewebauthn/browser').PublicKeyCredentialRequestOptionsJSON;

/** A passkey as a proof: at the code step, or to confirm a change. */
export interface PasskeyProof {
  passkey: PasskeyAssertion;
}

/** Any second factor that confirms a change: a code, a backup code or a passkey. */
export type SecondFactorProof = TwoFactorProof | PasskeyProof;

/**
 * Every security change on an account with 2FA (DESIGN.md §6 rule 7): the password AND a second
 * factor, in the request itself — a recent login is never enough.
 */
export type PasswordAndProof = { password: string } & SecondFactorProof;

/** After an admin reset (rule 20): the emailed link's token and the password open the setup. */
export interface EnrolmentProof {
  enrolmentToken: string;
  password: string;
}

/**
 * What opens a new factor's setup (POST /auth/2fa/setup, /auth/2fa/passkeys/registration-options):
 * `{}` on a fresh login without 2FA, `{password}` on an older one, PasswordAndProof on an account
 * with 2FA, EnrolmentProof after an admin reset.
 */
export type FactorSetupProof = Record<string, never> | { password: string } | PasswordAndProof | EnrolmentProof;

/** REAUTH_REQUIRED `needs`: what the request must carry. */
export type ReauthNeed = 'password' | 'secondFactor' | 'enrolmentLink';

/** POST /auth/2fa/verify-login: this login's refused codes showed the phone's clock is off (rule 19). */
export type ClockDrift = NonNullable<VerifyLoginResponse['clockDrift']>;

/** POST /auth/2fa/verify-login with a passkey. */
export type VerifyLoginWithPasskey = PasskeyProof & { rememberDevice?: boolean };

/** A passkey or security key of the user (GET /auth/2fa/passkeys). */
export type Passkey = Schemas['Passkey'];

export type PasskeyList = Schemas['PasskeyList'];

/** POST /auth/2fa/passkeys: 201; backupCodes only when this is the user's first factor. */
export type PasskeyAdded = Schemas['AddPasskeyResponse'];

/** POST /auth/2fa/passkeys/:id/remove: twoFactorEnabled false after the last factor. */
export type FactorRemoved = Schemas['RemovePasskeyResponse'];

/** POST /auth/2fa/totp/remove: twoFactorEnabled false when the app was the last factor. */
export type TotpRemoved = Schemas['FactorRemovedResponse'];
