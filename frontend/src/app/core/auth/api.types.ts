/** Types of the TwoFA REST API (DESIGN.md §5). All URLs are relative: the API lives on the SPA's origin. */

export type Role = 'USER' | 'ADMIN';

export interface User {
  id: string;
  email: string;
  role: Role;
  twoFactorEnabled: boolean;
  /**
   * GET /auth/me and /auth/session only (undefined in login answers): whether 2FA must be set up, why, and by when;
   * null when nothing is asked.
   */
  twoFactorRequirement?: TwoFactorRequirement | null;
}

/** GET /auth/session: who is signed in in this browser (always 200; null when nobody is). */
export interface SessionResponse {
  user: User | null;
}

/** TWOFA_REQUIRED_ROLES / TWOFA_GRACE_HOURS, or an admin reset (issue 14). */
export interface TwoFactorRequirement {
  reason: 'role' | 'admin_reset';
  /** ISO time after which only the 2FA setup works; null: already (admin reset) */
  deadline: string | null;
  /** only the 2FA setup works now */
  blocked: boolean;
}

/** Every API error body: `{message, code, ...extra}`. */
export interface ApiErrorBody {
  message: string;
  code: string;
  attemptsRemaining?: number;
  retryAfterSeconds?: number;
  /** INVALID_CODE only: why the code was refused, when the server knows. */
  reason?: InvalidCodeReason | (string & {});
  /** INVALID_CODE with reason `clock_drift`: how far (signed, in seconds) the phone's clock is off. */
  driftSeconds?: number;
  /** INVALID_CODE with reason `replay`: seconds until the authenticator shows a newer code (0: it already does). */
  retryInSeconds?: number;
  [extra: string]: unknown;
}

/**
 * Why a code was refused: `replay` (already used: wait for the next one), `clock_drift` (it matches a
 * time step 2–10 steps away: never accepted), `backup_code_used` (that backup code was spent).
 */
export type InvalidCodeReason = 'replay' | 'clock_drift' | 'backup_code_used';

export interface Credentials {
  email: string;
  password: string;
}

export interface UserResponse {
  user: User;
}

/** POST /auth/login answers either a session (`{user}`) or a pending second step. */
export type LoginResponse = { user: User; requires2FA?: false } | { requires2FA: true; user?: undefined };

/** rememberDevice: the server skips the code step on this browser for 30 days (until 2FA changes). */
export type VerifyLoginRequest = ({ code: string } | { backupCode: string }) & { rememberDevice?: boolean };

export interface VerifyLoginResponse {
  message: string;
  user: User;
}

export interface TwoFactorSetupResponse {
  secret: string;
  otpauthUrl: string;
}

export interface TwoFactorEnableResponse {
  message: string;
  backupCodes: string[];
}

/** The second factor given to prove a change: a current authenticator code or an unused backup code. */
export type TwoFactorProof = { code: string } | { backupCode: string };

/** POST /auth/2fa/disable needs BOTH factors: the password and a code (or a backup code). */
export type TwoFactorDisableRequest = { password: string } & TwoFactorProof;

/** POST /auth/2fa/backup-codes: a code (or a backup code); the password when the login is over 10 min old. */
export type BackupCodesRequest = TwoFactorProof & { password?: string };

export interface MessageResponse {
  message: string;
}

export interface TwoFactorStatus {
  enabled: boolean;
  backupCodesRemaining: number;
}

export interface BackupCodesResponse {
  backupCodes: string[];
}

export type SecurityEventType =
  | 'REGISTERED'
  | 'LOGIN_SUCCESS'
  | 'LOGIN_FAILURE'
  | 'TWOFA_SETUP_STARTED'
  | 'TWOFA_ENABLED'
  | 'TWOFA_DISABLED'
  | 'TWOFA_VERIFY_SUCCESS'
  | 'TWOFA_VERIFY_FAILURE'
  | 'TOTP_REPLAY'
  | 'BACKUP_CODE_USED'
  | 'BACKUP_CODES_REGENERATED'
  | 'TWOFA_LOCKED'
  | 'SESSIONS_REVOKED'
  | 'REFRESH_TOKEN_REUSE'
  | 'SESSION_REVOKED'
  | 'LOGOUT'
  | 'TRUSTED_DEVICE_REMOVED'
  | 'PASSWORD_PROOF_FAILURE';

export interface SecurityEvent {
  id: string;
  /** One of {@link SecurityEventType}; unknown future types are shown humanised. */
  type: SecurityEventType | (string & {});
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
  detail: Record<string, unknown> | null;
}

/** GET /auth/security-events?limit=&before=: one page, newest first; `nextCursor` is null on the last page. */
export interface SecurityEventsResponse {
  events: SecurityEvent[];
  nextCursor: string | null;
}

export interface SecurityEventsQuery {
  /** 1..100; the server's default is 50. */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  before?: string;
}

/** How a session's login was verified (also `detail.method` of LOGIN_SUCCESS events). */
export type AuthMethod = 'password' | 'totp' | 'backup_code' | 'trusted_device' | 'passkey';

/** One live login of the user (GET /auth/sessions). */
export interface ActiveSession {
  id: string;
  /** The session of this browser. */
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  ip: string | null;
  userAgent: string | null;
  /** "Chrome on Linux", "Unknown device". */
  device: string;
  authMethod: AuthMethod | (string & {});
}

export interface SessionsResponse {
  sessions: ActiveSession[];
}

/** POST /auth/sessions/revoke-others */
export interface RevokeOthersResponse {
  revoked: number;
}

/** A browser that skips the code step ("Remember this device for 30 days"; GET /auth/trusted-devices). */
export interface TrustedDevice {
  id: string;
  /** This browser holds the device's cookie. */
  current: boolean;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  device: string;
}

export interface TrustedDevicesResponse {
  devices: TrustedDevice[];
}

// ---------------------------------------------------------------------------------------------
// Issue 13 (SPA helper): passkeys and factors. Hand-written from notes/ISSUE13.md until the
// CONTRACT helper turns them into aliases of the generated types (core/api/openapi.gen.ts).
// ---------------------------------------------------------------------------------------------

/** What the code step accepts for this login (POST /auth/login answers them with requires2FA). */
export type LoginMethod = 'totp' | 'passkey' | 'backup_code';

/** POST /auth/login: a session, or the second step with the methods this account has. */
export type LoginResult =
  | { user: User; requires2FA?: false }
  | { requires2FA: true; methods?: LoginMethod[]; user?: undefined };

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

/** POST /auth/2fa/verify-login with a passkey. */
export type VerifyLoginWithPasskey = PasskeyProof & { rememberDevice?: boolean };

/** GET /auth/2fa/status gains the factors: "on" = TOTP or at least one passkey. */
export interface TwoFactorStatus {
  totp?: boolean;
  passkeys?: number;
  backupCodesTotal?: number;
}

/** POST /auth/2fa/enable: backup codes only when TOTP is the user's first factor. */
export interface TwoFactorEnableResult {
  message: string;
  backupCodes?: string[];
}

/** A passkey or security key of the user (GET /auth/2fa/passkeys). */
export interface Passkey {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  deviceType: 'singleDevice' | 'multiDevice' | (string & {});
  backedUp: boolean;
  transports: string[];
}

export interface PasskeyList {
  passkeys: Passkey[];
}

/** POST /auth/2fa/passkeys: 201; backupCodes only when this is the user's first factor. */
export interface PasskeyAdded {
  passkey: Passkey;
  backupCodes?: string[];
}

/** POST /auth/2fa/passkeys/:id/remove (and /auth/2fa/totp/remove). */
export interface FactorRemoved {
  message: string;
  twoFactorEnabled: boolean;
}
