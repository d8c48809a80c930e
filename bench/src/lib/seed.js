// Seeding many accounts fast, straight into PostgreSQL: one argon2 hash reused for every
// account (hashing each one would take minutes and measures nothing), a distinct TOTP secret
// per 2FA account encrypted exactly as the server does (createSecretBox with the same key),
// and, for the verify-login scenario, login challenges + twofa_token JWTs signed with the
// server's JWT_2FA_SECRET, as if the password step had just run.
import crypto from "node:crypto";
import { JWT_AUDIENCE, JWT_ISSUER, SECRETS } from "./servers.js";
import { backend, require } from "./util.js";

const jwt = require("jsonwebtoken");
const { hashPassword } = backend("auth/password.js");
const { createSecretBox } = backend("security/encryption.js");
const { generateTotpSecret, generateTotp } = backend("two-factor/totp/totp.js");

export const PASSWORD = "bench password that is long enough";
export const secretBox = createSecretBox([{ id: "k1", key: Buffer.from(SECRETS.TWOFA_ENCRYPTION_KEY, "base64") }]);
export { generateTotp };

let passwordHash;
export async function benchPasswordHash() {
  passwordHash ??= await hashPassword(PASSWORD);
  return passwordHash;
}

const CHUNK = 5000;
let serial = 0;

async function insertUsers(pool, rows) {
  for (let i = 0; i < rows.length; i += CHUNK) {
    const part = rows.slice(i, i + CHUNK);
    // 2FA on = a TotpCredential row (issue 13); one statement for both tables
    await pool.query(
      `WITH t AS (SELECT * FROM unnest($1::text[], $2::text[], $4::text[]) AS t(id, email, secret)),
       u AS (
         INSERT INTO "User" ("id", "email", "passwordHash", "updatedAt")
         SELECT id, email, $3, now() AT TIME ZONE 'UTC' FROM t
         RETURNING "id"
       )
       INSERT INTO "TotpCredential" ("id", "userId", "secret")
       SELECT 'c' || md5(t.id), t.id, t.secret FROM t JOIN u ON u."id" = t.id WHERE t.secret IS NOT NULL`,
      [part.map((r) => r.id), part.map((r) => r.email), await benchPasswordHash(), part.map((r) => r.encrypted ?? null)],
    );
  }
}

function newAccount(tag) {
  const n = ++serial;
  const id = `bench${tag}${n.toString(36)}${crypto.randomBytes(6).toString("hex")}`;
  return { id, email: `${id}@bench.test` };
}

/** Accounts without 2FA (password login, refresh, me). */
export async function seedPlainUsers(pool, count, tag = "p") {
  const rows = Array.from({ length: count }, () => newAccount(tag));
  await insertUsers(pool, rows);
  return rows;
}

/** Accounts with 2FA enabled (a TotpCredential) and a known secret; lastStep NULL (no code used yet). */
export async function seedTwoFactorUsers(pool, count, tag = "t") {
  const rows = Array.from({ length: count }, () => {
    const secret = generateTotpSecret();
    return { ...newAccount(tag), secret, encrypted: secretBox.encrypt(secret) };
  });
  await insertUsers(pool, rows);
  return rows.map(({ encrypted: _e, ...r }) => r);
}

/** One open LoginChallenge per account + the twofa_token cookie value that names it. */
export async function seedChallenges(pool, users, ttlSeconds = 3600) {
  const withChallenge = users.map((u) => {
    const challengeId = crypto.randomBytes(24).toString("base64url");
    const token = jwt.sign({ sub: u.id, n: challengeId, type: "twofa", iat: Math.floor(Date.now() / 1000) }, SECRETS.JWT_2FA_SECRET, {
      algorithm: "HS256",
      expiresIn: ttlSeconds,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
    });
    return { ...u, challengeId, token };
  });
  for (let i = 0; i < withChallenge.length; i += CHUNK) {
    const part = withChallenge.slice(i, i + CHUNK);
    await pool.query(
      `INSERT INTO "LoginChallenge" ("id", "userId", "expiresAt")
       SELECT id, uid, (now() AT TIME ZONE 'UTC') + make_interval(secs => $3)
       FROM unnest($1::text[], $2::text[]) AS t(id, uid)`,
      [part.map((c) => c.challengeId), part.map((c) => c.id), ttlSeconds],
    );
  }
  return withChallenge;
}

/** A pool that hands out each seeded item once, topping itself up in big batches. */
export function oneShotPool(refill, { batch }) {
  let items = [];
  let next = 0;
  return {
    get remaining() {
      return items.length - next;
    },
    async ensure(n) {
      if (items.length - next >= n) return;
      items = items.slice(next).concat(await refill(Math.max(batch, n - (items.length - next))));
      next = 0;
    },
    take() {
      return next < items.length ? items[next++] : undefined;
    },
  };
}
