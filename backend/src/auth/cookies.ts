import type { CookieOptions, Response } from "express";
import type { Config } from "../config";
import { TOKEN_TTL_SECONDS } from "./tokens";

export const COOKIE = { access: "access_token", refresh: "refresh_token", twoFactor: "twofa_token", device: "trusted_device" } as const;
export const AUTH_COOKIE_NAMES = Object.values(COOKIE);

// Paths narrow where each cookie is sent: the refresh token only reaches /auth (refresh,
// logout), the 2FA token only the /auth/2fa endpoints, the trusted-device token only login.
const PATHS = { access: "/", refresh: "/auth", twoFactor: "/auth/2fa", device: "/auth/login" } as const;

export interface CookieWriter {
  /** refreshTtlSeconds: the refresh token's own lifetime (never past the Session's expiry) */
  setSession(res: Response, tokens: { access: string; refresh: string; refreshTtlSeconds: number }): void;
  clearSession(res: Response): void;
  setTwoFactor(res: Response, token: string, ttlSeconds: number): void;
  clearTwoFactor(res: Response): void;
  setDevice(res: Response, value: string, ttlSeconds: number): void;
  clearDevice(res: Response): void;
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
    setDevice(res, value, ttlSeconds) {
      res.cookie(COOKIE.device, value, { ...base(PATHS.device), maxAge: ttlSeconds * 1000 });
    },
    clearDevice(res) {
      res.clearCookie(COOKIE.device, base(PATHS.device));
    },
  };
}
