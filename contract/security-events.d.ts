/** Every audit event type: the Prisma enum AuditEventType (a backend test keeps them equal). */
export type SecurityEventType =
  | "REGISTERED"
  | "LOGIN_SUCCESS"
  | "LOGIN_FAILURE"
  | "LOGOUT"
  | "TWOFA_SETUP_STARTED"
  | "TWOFA_ENABLED"
  | "TWOFA_DISABLED"
  | "TWOFA_VERIFY_SUCCESS"
  | "TWOFA_VERIFY_FAILURE"
  | "TOTP_REPLAY"
  | "BACKUP_CODE_USED"
  | "BACKUP_CODES_REGENERATED"
  | "TWOFA_LOCKED"
  | "PASSWORD_PROOF_FAILURE"
  | "SESSIONS_REVOKED"
  | "SESSION_REVOKED"
  | "REFRESH_TOKEN_REUSE"
  | "TRUSTED_DEVICE_ADDED"
  | "TRUSTED_DEVICE_REMOVED"
  | "PASSWORD_CHANGED"
  | "PASSWORD_RESET_REQUESTED"
  | "PASSWORD_RESET"
  | "ADMIN_TWOFA_RESET"
  | "ACCOUNT_UNLOCKED"
  | "ENROLMENT_LINK_SENT"
  | "TOTP_REMOVED"
  | "PASSKEY_ADDED"
  | "PASSKEY_RENAMED"
  | "PASSKEY_REMOVED"
  | "PASSKEY_COUNTER_ROLLBACK"
  | "LOGIN_LOCKED";

export interface SecurityEventDefinition {
  /** the activity line */
  readonly text: string;
  /** worth a second look */
  readonly warning?: true;
  /** other words when the event's detail has these values (e.g. TWOFA_ENABLED {firstFactor: false}) */
  readonly variants?: readonly { readonly when: Readonly<Record<string, string | number | boolean>>; readonly text: string }[];
}

export declare const SECURITY_EVENTS: { readonly [T in SecurityEventType]: SecurityEventDefinition };
export declare const SECURITY_EVENT_TYPES: readonly SecurityEventType[];

/** How a session's login was verified (also `detail.method` of LOGIN_SUCCESS events). */
export type AuthMethod = "password" | "totp" | "backup_code" | "trusted_device" | "passkey";
export interface AuthMethodDefinition {
  /** "Authenticator code" */
  readonly label: string;
  /** "your password and an authenticator code" (emails: "signed in with …") */
  readonly signedInWith: string;
}
export declare const AUTH_METHODS: { readonly [M in AuthMethod]: AuthMethodDefinition };

/** `detail.during` of a proof on a management path → "while turning on two-factor authentication" */
export declare const PROOF_CONTEXTS: Readonly<Record<string, string>>;

/** "LOGIN_SUCCESS" → "Login success"; `fallback` for an empty string */
export declare function humanise(code: string | null | undefined, fallback: string): string;
/** the event's words; with its detail, a matching variant's (TWOFA_ENABLED {firstFactor: false} → "Authenticator app added …") */
export declare function securityEventText(type: string, detail?: Readonly<Record<string, unknown>> | null): string;
export declare function isWarningEventType(type: string): boolean;
export declare function authMethodLabel(method: string | null | undefined): string;
