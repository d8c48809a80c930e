import type { CookieOptions, Response } from "express";
import type { Config } from "../config";
import { TOKEN_TTL_SECONDS } from "./tokens";

export const COOKIE = { access: "access_token", refresh: "refresh_token", twoFactor: "twofa_token", trustedDevice: "trusted_device", signInDevice: "device", passkeyLogin: "passkey_login" } as const;
export const AUTH_COOKIE_NAMES = Object.values(COOKIE);

// Paths narrow where each cookie is sent: the refresh token only reaches /auth (refresh,
// logout), the 2FA token only the /auth/2fa endpoints, the trusted-device token only login. The
// device cookie (security/device-cookie.ts) reaches /auth: read at login, replaced wherever a
// sign-in completes (register, login, the code step). The passkey sign-in's challenge cookie
// (passkey_login: the id of the browser's PasskeyLoginChallenge) only reaches /auth/passkey.
const PATHS = { access: "/", refresh: "/auth", twoFactor: "/auth/2fa", trustedDevice: "/auth/login", signInDevice: "/auth", passkeyLogin: "/auth/passkey" } as const;

export interface CookieWriter {
  /** refreshTtlSeconds: the refresh token's own lifetime (never past the Session's expiry) */
  setSession(res: Response, tokens: { access: string; refresh: string; refreshTtlSeconds: number }): void;
  clearSession(res: Response): void;
  setTwoFactor(res: Response, token: string, ttlSeconds: number): void;
  clearTwoFactor(res: Response): void;
  /** "remember this device" (trusted_device) */
  setTrustedDevice(res: Response, value: string, ttlSeconds: number): void;
  clearTrustedDevice(res: Response): void;
  /** the device cookie of a completed sign-in (device) */
  setSignInDevice(res: Response, cookie: { value: string; ttlSeconds: number }): void;
  /** the challenge of a passwordless passkey sign-in, bound to this browser (passkey_login) */
  setPasskeyLogin(res: Response, challengeId: string, ttlSeconds: number): void;
  clearPasskeyLogin(res: Response): void;
}

export function createCookieWriter(config: Config): CookieWriter {
  const base = (path: string): CookieOptions => ({ httpOnly: true, secure: config.cookies.secure, sameSite: config.cookies.sameSite, path });
  return {
    setSession(res, tokens) {
      res.cookie(COOKIE.access, tokens.access, { ...base(PATHS.access), maxAge: TOKEN_TTL_SECONDS.access * 1000 });
      res.cookie(COOKIE.refresh, tokens.refresh, { ...base(PATHS.refresh), maxAge: Math.min(tokens.refreshTtlSeconds, TOKEN_TTL_SECONDS.refresh) * 1000 });
    },
    clearSession(res) {
      res.clearCookie(COOKIE.access, base(PATHS.access));
      res.clearCookie(COOKIE.refresh, base(PATHS.refresh));
    },
    setTwoFactor(res, token, ttlSeconds) {
      res.cookie(COOKIE.twoFactor, token, { ...base(PATHS.twoFactor), maxAge: ttlSeconds * 1000 });
    },
    clearTwoFactor(res) {
      res.clearCookie(COOKIE.twoFactor, base(PATHS.twoFactor));
    },
    setTrustedDevice(res, value, ttlSeconds) {
      res.cookie(COOKIE.trustedDevice, value, { ...base(PATHS.trustedDevice), maxAge: ttlSeconds * 1000 });
    },
    clearTrustedDevice(res) {
      res.clearCookie(COOKIE.trustedDevice, base(PATHS.trustedDevice));
    },
    setSignInDevice(res, cookie) {
      res.cookie(COOKIE.signInDevice, cookie.value, { ...base(PATHS.signInDevice), maxAge: cookie.ttlSeconds * 1000 });
    },
    setPasskeyLogin(res, challengeId, ttlSeconds) {
      res.cookie(COOKIE.passkeyLogin, challengeId, { ...base(PATHS.passkeyLogin), maxAge: ttlSeconds * 1000 });
    },
    clearPasskeyLogin(res) {
      res.clearCookie(COOKIE.passkeyLogin, base(PATHS.passkeyLogin));
    },
  };
}
