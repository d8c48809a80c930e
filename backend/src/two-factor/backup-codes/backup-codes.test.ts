import { generateBackupCodes, hashBackupCode, normalizeBackupCode } from "./backup-codes";

describe("backup codes", () => {
  test("10 distinct codes xxxx-xxxx from an alphabet without look-alikes", () => {
    const codes = generateBackupCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}$/);
    expect(codes.join("")).not.toMatch(/[01ilo]/);
  });

  test("normalisation accepts case, spaces and a missing dash; refuses the rest", () => {
    expect(normalizeBackupCode(" ABCD EFGH ")).toBe("abcd-efgh");
    expect(normalizeBackupCode("abcdefgh")).toBe("abcd-efgh");
    expect(normalizeBackupCode("abcd-efg")).toBeNull();
    expect(normalizeBackupCode("abcd-efg0")).toBeNull();
  });

  test("keyed hash: depends on the key, never equals the code", () => {
    const h = hashBackupCode("key-1", "abcd-efgh");
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(hashBackupCode("key-2", "abcd-efgh")).not.toBe(h);
  });
});
