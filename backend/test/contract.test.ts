// @twofa/contract is the one place for error codes and security event types with their words
// (backend and SPA both import it). These tests keep its parts honest: the hand-written .d.ts
// unions list exactly the codes/types the .js defines, and the event types are exactly the
// database's AuditEventType enum (an event the API can write always has words in the SPA).
import fs from "node:fs";
import path from "node:path";
import {
  AUTH_METHODS,
  ERROR_CODES,
  SECURITY_EVENT_TYPES,
  SECURITY_EVENTS,
  isSessionErrorCode,
  retryText,
  securityEventText,
} from "@twofa/contract";
import { AppError, ERROR_CODES as BACKEND_ERROR_CODES } from "../src/http/errors";
import { REPO_ROOT } from "../src/config";

const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
/** The string literals of `export type <name> = | "A" | "B";` in a .d.ts */
const unionOf = (dts: string, name: string) => {
  const m = new RegExp(`export type ${name} =([^;]+);`).exec(dts);
  if (!m) throw new Error(`no type ${name}`);
  return [...m[1].matchAll(/"([A-Z0-9_]+)"/g)].map((x) => x[1]).sort();
};

describe("@twofa/contract", () => {
  test("event types are exactly the Prisma enum AuditEventType (schema.prisma)", () => {
    const schema = read("prisma/schema.prisma");
    const body = /enum AuditEventType \{([^}]*)\}/.exec(schema)![1];
    const enumValues = body
      .split("\n")
      .map((l) => l.replace(/\/\/.*$/, "").trim())
      .filter(Boolean)
      .sort();
    expect([...SECURITY_EVENT_TYPES].sort()).toEqual(enumValues);
  });

  test("security-events.d.ts lists exactly the types security-events.js words", () => {
    expect(unionOf(read("contract/security-events.d.ts"), "SecurityEventType")).toEqual([...SECURITY_EVENT_TYPES].sort());
  });

  test("error-codes.d.ts lists exactly the codes error-codes.js defines", () => {
    expect(unionOf(read("contract/error-codes.d.ts"), "ErrorCode")).toEqual(Object.keys(ERROR_CODES).sort());
  });

  test("the backend answers with the contract's catalogue (http/errors re-exports it)", () => {
    expect(BACKEND_ERROR_CODES).toBe(ERROR_CODES);
    const e = new AppError("INVALID_CODE", { attemptsRemaining: 2 });
    expect([e.status, e.toJSON()]).toEqual([400, { message: ERROR_CODES.INVALID_CODE.message, code: "INVALID_CODE", attemptsRemaining: 2 }]);
  });

  test("every entry is well formed: a 4xx/5xx status, words, retryText only on 429s with {wait}", () => {
    for (const [code, def] of Object.entries(ERROR_CODES)) {
      expect([code, def.status >= 400 && def.status < 600]).toEqual([code, true]);
      expect(def.message.length).toBeGreaterThan(3);
      if (def.retryText !== undefined) expect([code, def.status, def.retryText.includes("{wait}")]).toEqual([code, 429, true]);
      if (def.refreshSession) expect([code, def.status]).toEqual([code, 401]);
    }
    for (const [type, def] of Object.entries(SECURITY_EVENTS)) expect([type, def.text.length > 5]).toEqual([type, true]);
    for (const def of Object.values(AUTH_METHODS)) expect(def.label && def.signedInWith).toBeTruthy();
  });

  test("only a 401 that means 'the session is gone' asks the SPA to refresh (INVALID_CODE is a 400 and never did)", () => {
    expect(isSessionErrorCode("UNAUTHENTICATED")).toBe(true);
    expect(isSessionErrorCode("SESSION_REVOKED")).toBe(true);
    expect(isSessionErrorCode(undefined)).toBe(true); // a proxy's bare 401
    for (const code of ["REAUTH_REQUIRED", "INVALID_PASSWORD", "INVALID_CREDENTIALS", "SESSION_EXPIRED", "INVALID_CODE"]) {
      expect([code, isSessionErrorCode(code)]).toEqual([code, false]);
    }
  });

  test("wording helpers", () => {
    expect(retryText("TOO_MANY_ATTEMPTS", 900)).toBe("Too many attempts. Please wait 15 minutes before trying again.");
    expect(retryText("TOO_MANY_REQUESTS", 45)).toBe("Too many requests. Please wait 45 seconds and try again.");
    expect(retryText(undefined, undefined)).toBe("Too many requests. Please wait a little while and try again.");
    expect(securityEventText("PASSKEY_ADDED")).toBe("Passkey or security key added");
    expect(securityEventText("SOMETHING_NEW")).toBe("Something new");
    // the detail refines a line: an authenticator app added while a passkey kept 2FA on is not "turned on"
    expect(securityEventText("TWOFA_ENABLED", { method: "totp", firstFactor: false })).toBe("Authenticator app added (two-factor authentication was already on)");
    expect(securityEventText("TWOFA_ENABLED", { method: "totp", firstFactor: true })).toBe("Two-factor authentication turned on");
    expect(securityEventText("TWOFA_ENABLED", null)).toBe("Two-factor authentication turned on");
    expect(securityEventText("PASSKEY_ADDED", { firstFactor: true })).toBe("Passkey or security key added (two-factor authentication turned on)");
    expect(securityEventText("TOTP_REMOVED", { proof: "password+code" })).toBe("Authenticator app removed");
  });
});
