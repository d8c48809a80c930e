// What one request's crypto costs on this machine, in this process:
//   - argon2id with the backend's own parameters (OWASP: m=19456 KiB, t=2, p=1) at 1, 2 and 4
//     concurrent operations (libuv's thread pool, UV_THREADPOOL_SIZE=4 by default): the ceiling
//     of every password login, by design;
//   - the per-request primitives: HS256 JWT sign/verify (jsonwebtoken, with a string secret — it
//     then tries to parse it as a PEM key first — and with a KeyObject), AES-256-GCM decrypt of a TOTP
//     secret (backend createSecretBox), TOTP verify with window 1 (backend verifyTotp, speakeasy),
//     HMAC-SHA256 (the CSRF check).
import crypto from "node:crypto";
import { backend, log, require } from "../lib/util.js";

const argon2 = require("argon2");
const jwt = require("jsonwebtoken");
const { ARGON2_OPTIONS, hashPassword } = backend("auth/password.js");
const { createSecretBox } = backend("security/encryption.js");
const { generateTotpSecret, generateTotp, verifyTotp } = backend("two-factor/totp/totp.js");

const PASSWORD = "bench password that is long enough";

async function measure(op, concurrency, seconds, fn) {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let done = 0;
  let totalMs = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await fn();
        totalMs += performance.now() - t;
        done++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { op, concurrency, perSecond: done / elapsed, meanMs: totalMs / done, ops: done };
}

function micro(op, fn, ms = 400) {
  for (let i = 0; i < 50; i++) fn(); // warm
  let n = 0;
  const started = performance.now();
  while (performance.now() - started < ms) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
  }
  const us = ((performance.now() - started) * 1000) / n;
  return { op, microseconds: us };
}

export async function runCrypto({ seconds = 3 } = {}) {
  const hash = await hashPassword(PASSWORD);
  if (!hash.startsWith(`$argon2id$v=19$m=${ARGON2_OPTIONS.memoryCost},t=${ARGON2_OPTIONS.timeCost},p=${ARGON2_OPTIONS.parallelism}$`)) {
    throw new Error(`unexpected argon2 parameters: ${hash.slice(0, 40)}`);
  }
  const argon = [];
  for (const concurrency of [1, 2, 4]) {
    const r = await measure("verify", concurrency, seconds, () => argon2.verify(hash, PASSWORD));
    argon.push(r);
    log(`argon2id verify c=${concurrency}: ${r.perSecond.toFixed(1)}/s, ${r.meanMs.toFixed(1)} ms each`);
  }
  const h = await measure("hash", 4, seconds, () => hashPassword(PASSWORD));
  argon.push(h);
  log(`argon2id hash c=4: ${h.perSecond.toFixed(1)}/s, ${h.meanMs.toFixed(1)} ms each`);

  const secret = "bench-access-secret-0123456789abcdef0123";
  const key = crypto.createSecretKey(Buffer.from(secret, "utf8"));
  const signOpts = { algorithm: "HS256", expiresIn: 900, issuer: "twofa-api", audience: "twofa-web" };
  const verifyOpts = { algorithms: ["HS256"], issuer: "twofa-api", audience: "twofa-web" };
  const claims = { sub: "cjld2cjxh0000qzrmn831i7rn", tv: 0, type: "access", auth_time: 1 };
  const token = jwt.sign(claims, secret, signOpts);
  const box = createSecretBox([{ id: "k1", key: crypto.randomBytes(32) }]);
  const totpSecret = generateTotpSecret();
  const sealed = box.encrypt(totpSecret);
  const ops = [
    micro("JWT HS256 sign, string secret (tokens.ts before 7d491d3)", () => jwt.sign(claims, secret, signOpts)),
    micro("JWT HS256 sign, KeyObject secret (tokens.ts now)", () => jwt.sign(claims, key, signOpts)),
    micro("JWT HS256 verify, string secret (tokens.ts before 7d491d3)", () => jwt.verify(token, secret, verifyOpts)),
    micro("JWT HS256 verify, KeyObject secret (tokens.ts now)", () => jwt.verify(token, key, verifyOpts)),
    micro("AES-256-GCM decrypt of a TOTP secret", () => box.decrypt(sealed)),
    micro("TOTP verify, window 1 (speakeasy)", () => verifyTotp(totpSecret, generateTotp(totpSecret, Date.now()), Date.now(), 1)),
    micro("HMAC-SHA256 (CSRF check)", () => crypto.createHmac("sha256", secret).update(token).digest("base64url")),
  ];
  for (const o of ops) log(`${o.op}: ${o.microseconds.toFixed(1)} µs`);
  return { argon2: argon, ops };
}
