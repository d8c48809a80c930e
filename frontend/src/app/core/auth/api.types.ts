/** Types of the TwoFA REST API (DESIGN.md §5). All URLs are relative: the API lives on the SPA's origin. */

export type Role = 'USER' | 'ADMIN';

export interface User {
  id: string;
  email: string;
  role: Role;
  twoFactorEnabled: boolean;
}

/** Every API error body: `{message, code, ...extra}`. */
export interface ApiErrorBody {
  message: string;
  code: string;
  attemptsRemaining?: number;
  retryAfterSeconds?: number;
  [extra: string]: unknown;
}

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

export type TwoFactorDisableRequest = { password: string } | { code: string };

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
  | 'SESSIONS_REVOKED';

export interface SecurityEvent {
  id: string;
  /** One of {@link SecurityEventType}; unknown future types are shown humanised. */
  type: SecurityEventType | (string & {});
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
  detail: Record<string, unknown> | null;
}

export interface SecurityEventsResponse {
  events: SecurityEvent[];
}
