// AES-256-GCM for TOTP secrets at rest. Format: "v1:<keyId>:<iv b64url>:<tag b64url>:<ct b64url>".
// The key id makes rotation possible: new writes use the first configured key, reads pick the
// key named in the value, so rows written under an older key keep working until re-encrypted.
import crypto from "node:crypto";
import type { EncryptionKey } from "../config";

const VERSION = "v1";

export class DecryptionError extends Error {}

export interface SecretBox {
  encrypt(plaintext: string): string;
  decrypt(payload: string): string;
  /** true when the value was written under a key other than the current one */
  needsReencryption(payload: string): boolean;
}

export function createSecretBox(keys: EncryptionKey[]): SecretBox {
  if (keys.length === 0) throw new Error("at least one encryption key is required");
  const [current] = keys;
  const byId = new Map(keys.map((k) => [k.id, k.key]));

  return {
    encrypt(plaintext) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv("aes-256-gcm", current.key, iv);
      // The key id and version are authenticated too: a value cannot be moved to another key slot.
      cipher.setAAD(Buffer.from(`${VERSION}:${current.id}`));
      const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return [VERSION, current.id, iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), ct.toString("base64url")].join(":");
    },
    decrypt(payload) {
      const [version, keyId, iv, tag, ct] = payload.split(":");
      if (version !== VERSION || !keyId || !iv || !tag || ct === undefined) throw new DecryptionError("unknown secret format");
      const key = byId.get(keyId);
      if (!key) throw new DecryptionError(`no key configured with id ${keyId}`);
      try {
        const decipher = crypto.createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
        decipher.setAAD(Buffer.from(`${version}:${keyId}`));
        decipher.setAuthTag(Buffer.from(tag, "base64url"));
        return Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]).toString("utf8");
      } catch {
        throw new DecryptionError("secret could not be decrypted (wrong key or tampered value)");
      }
    },
    needsReencryption(payload) {
      return payload.split(":")[1] !== current.id;
    },
  };
}
