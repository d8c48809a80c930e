import { base32Encode, buildOtpauthUrl, findTotpDrift, generateHotp, generateTotp, generateTotpSecret, timeStep, verifyTotp } from "./totp";

// RFC 6238 appendix B / RFC 4226 appendix D use the ASCII seed "12345678901234567890".
const RFC_SECRET = base32Encode(Buffer.from("12345678901234567890"));

describe("totp module (the only speakeasy user)", () => {
  test("base32 of the RFC seed", () => {
    expect(RFC_SECRET).toBe("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  });

  test.each([
    [59, "94287082"],
    [1111111109, "07081804"],
    [1234567890, "89005924"],
    [2000000000, "69279037"],
  ])("RFC 6238 SHA1 vector t=%i → %s", (t, expected) => {
    expect(generateTotp(RFC_SECRET, t * 1000, 8)).toBe(expected);
  });

  test("RFC 4226 HOTP vectors, counts 0..9", () => {
    const expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
    expect(expected.map((_, count) => generateHotp(RFC_SECRET, count))).toEqual(expected);
  });

  test("secrets are 20 random bytes in base32 (32 chars, no padding) and differ", () => {
    const a = generateTotpSecret();
    expect(a).toMatch(/^[A-Z2-7]{32}$/);
    expect(generateTotpSecret()).not.toBe(a);
  });

  test("verify returns the accepted time step (the value replay protection stores)", () => {
    const now = 1_700_000_000_000;
    expect(verifyTotp(RFC_SECRET, generateTotp(RFC_SECRET, now), now, 1)).toEqual({ step: timeStep(now) });
    expect(verifyTotp(RFC_SECRET, generateTotp(RFC_SECRET, now - 30_000), now, 1)).toEqual({ step: timeStep(now) - 1 });
    expect(verifyTotp(RFC_SECRET, generateTotp(RFC_SECRET, now + 30_000), now, 1)).toEqual({ step: timeStep(now) + 1 });
    expect(verifyTotp(RFC_SECRET, generateTotp(RFC_SECRET, now + 60_000), now, 1)).toBeNull();
    expect(verifyTotp(RFC_SECRET, generateTotp(RFC_SECRET, now - 60_000), now, 1)).toBeNull();
  });

  test("window 0 accepts only the current step", () => {
    const now = 1_700_000_000_000;
    expect(verifyTotp(RFC_SECRET, generateTotp(RFC_SECRET, now - 30_000), now, 0)).toBeNull();
  });

  test("loose inputs speakeasy would accept are refused before it sees them", () => {
    // RFC_SECRET's code at t=59 (6 digits) is 287082; speakeasy's parseInt would accept variants.
    const now = 59_000;
    const code = generateTotp(RFC_SECRET, now);
    expect(verifyTotp(RFC_SECRET, code, now, 0)).not.toBeNull();
    for (const bad of [` ${code}`, `${code}a`, code.slice(1), `0${code}`, Number(code) as unknown as string, "１２３４５６"]) {
      expect(verifyTotp(RFC_SECRET, bad, now, 0)).toBeNull();
    }
  });

  test("a code with a leading zero stays a string and verifies", () => {
    // find a time whose code starts with 0
    let t = 0;
    while (!generateTotp(RFC_SECRET, t).startsWith("0")) t += 30_000;
    expect(verifyTotp(RFC_SECRET, generateTotp(RFC_SECRET, t), t, 0)).toEqual({ step: timeStep(t) });
  });

  test("clock drift: a code 2–10 steps away is found (signed, in seconds) but never verifies", () => {
    const now = 1_700_000_000_000;
    for (const steps of [-10, -4, -2, 2, 3, 10]) {
      const code = generateTotp(RFC_SECRET, now + steps * 30_000);
      expect(verifyTotp(RFC_SECRET, code, now, 1)).toBeNull();
      expect(findTotpDrift(RFC_SECRET, code, now, 1)).toEqual({ steps, driftSeconds: steps * 30 });
    }
    for (const steps of [-11, -1, 0, 1, 11]) expect(findTotpDrift(RFC_SECRET, generateTotp(RFC_SECRET, now + steps * 30_000), now, 1)).toBeNull();
  });

  test("clock drift starts past the accepted window (window 3: from 4 steps) and never at 1 step (window 0)", () => {
    const now = 1_700_000_000_000;
    const at = (steps: number) => generateTotp(RFC_SECRET, now + steps * 30_000);
    expect(findTotpDrift(RFC_SECRET, at(3), now, 3)).toBeNull();
    expect(findTotpDrift(RFC_SECRET, at(-4), now, 3)).toEqual({ steps: -4, driftSeconds: -120 });
    expect(findTotpDrift(RFC_SECRET, at(1), now, 0)).toBeNull();
    expect(findTotpDrift(RFC_SECRET, at(2), now, 0)).toEqual({ steps: 2, driftSeconds: 60 });
  });

  test("clock drift validates the code like verify does (speakeasy never sees a loose one)", () => {
    const now = 1_700_000_000_000;
    const code = generateTotp(RFC_SECRET, now - 3 * 30_000);
    for (const bad of [` ${code}`, `${code}a`, code.slice(1), Number(code) as unknown as string, undefined as unknown as string]) {
      expect(findTotpDrift(RFC_SECRET, bad, now, 1)).toBeNull();
    }
  });

  test("otpauth URL follows the Key Uri Format and keeps the issuer", () => {
    const url = new URL(buildOtpauthUrl("JBSWY3DPEHPK3PXP", "alice@example.com", "TwoFA"));
    expect(url.protocol).toBe("otpauth:");
    expect(url.host).toBe("totp");
    expect(decodeURIComponent(url.pathname)).toBe("/TwoFA:alice@example.com");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      secret: "JBSWY3DPEHPK3PXP",
      issuer: "TwoFA",
      algorithm: "SHA1",
      digits: "6",
      period: "30",
    });
  });
});
