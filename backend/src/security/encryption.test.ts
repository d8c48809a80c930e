import crypto from "node:crypto";
import { createSecretBox, DecryptionError } from "./encryption";

const key = (id: string) => ({ id, key: crypto.randomBytes(32) });

describe("secrets at rest (AES-256-GCM, versioned)", () => {
  test("round trip; the stored form names version and key and never contains the secret", () => {
    const box = createSecretBox([key("k1")]);
    const stored = box.encrypt("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
    expect(stored).toMatch(/^v1:k1:[\w-]+:[\w-]+:[\w-]+$/);
    expect(stored).not.toContain("JBSWY3DP");
    expect(box.decrypt(stored)).toBe("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
  });

  test("a fresh IV each time", () => {
    const box = createSecretBox([key("k1")]);
    expect(box.encrypt("same")).not.toBe(box.encrypt("same"));
  });

  test("rotation: values under an older key still decrypt; new writes use the first key", () => {
    const k1 = key("k1");
    const k2 = key("k2");
    const old = createSecretBox([k1]).encrypt("secret-under-k1");
    const rotated = createSecretBox([k2, k1]);
    expect(rotated.decrypt(old)).toBe("secret-under-k1");
    expect(rotated.needsReencryption(old)).toBe(true);
    const fresh = rotated.encrypt("new");
    expect(fresh.startsWith("v1:k2:")).toBe(true);
    expect(rotated.needsReencryption(fresh)).toBe(false);
  });

  test("a removed key, a wrong key or a tampered value fails loudly", () => {
    const k1 = key("k1");
    const stored = createSecretBox([k1]).encrypt("s");
    expect(() => createSecretBox([key("k2")]).decrypt(stored)).toThrow(DecryptionError);
    expect(() => createSecretBox([{ id: "k1", key: crypto.randomBytes(32) }]).decrypt(stored)).toThrow(DecryptionError);
    const parts = stored.split(":");
    parts[4] = Buffer.from("tampered").toString("base64url");
    expect(() => createSecretBox([k1]).decrypt(parts.join(":"))).toThrow(DecryptionError);
    // moving a value to another key id is detected too (the id is authenticated)
    expect(() => createSecretBox([k1, { id: "k9", key: k1.key }]).decrypt(stored.replace(":k1:", ":k9:"))).toThrow(DecryptionError);
  });
});
