// The reference server: the ceiling this stack reaches on this machine. It does the same work
// as the real API on the benchmarked success paths — same SQL (statement for statement, the
// same atomic consume CTE for verify-login), same crypto (argon2id verify, HS256 JWTs with
// iss/aud/type, an HMAC-signed double-submit CSRF check, AES-256-GCM decrypt of the TOTP
// secret, TOTP verify with window 1, replay check) — with raw node:http and raw pg: no Express,
// no Prisma, no helmet, no pino-http, no rate-limit middleware.
//
// It is NOT a second implementation of the API: failure paths are minimal (no guessing budget,
// no audit of failures), and it serves only /healthz, /auth/csrf, /auth/login,
// /auth/2fa/verify-login, /auth/refresh and /auth/me.
import crypto from "node:crypto";
import http from "node:http";
import pg from "pg";
import { backend, require } from "./lib/util.js";

const argon2 = require("argon2");
const jwt = require("jsonwebtoken");
// The backend's own crypto modules (no framework in them): the same work, byte for byte.
const { verifyTotp } = backend("two-factor/totp/totp.js");
const { createSecretBox } = backend("security/encryption.js");

const env = process.env;
const PORT = Number(env.PORT ?? 3100);
const WINDOW = Number(env.TOTP_WINDOW ?? 1);
const ISSUER = "twofa-api";
const AUDIENCE = "twofa-web";
const TTL = { access: 15 * 60, refresh: 7 * 24 * 60 * 60, twofa: Number(env.LOGIN_CHALLENGE_TTL_SECONDS ?? 300) };
// KeyObjects, made once, as backend/src/auth/tokens.ts does: jsonwebtoken 9 given a string
// secret first tries to parse it as a PEM key, ~0.4 ms of CPU per sign or verify here.
// REFERENCE_JWT_KEYS=string reproduces the API's way (for a like-for-like comparison).
const jwtKey = (secret) => (env.REFERENCE_JWT_KEYS === "string" ? secret : crypto.createSecretKey(Buffer.from(secret, "utf8")));
const SECRET = { access: jwtKey(env.JWT_ACCESS_SECRET), refresh: jwtKey(env.JWT_REFRESH_SECRET), twofa: jwtKey(env.JWT_2FA_SECRET) };
const MAX_CHALLENGE_FAILURES = 5;
const secretBox = createSecretBox([{ id: "k1", key: Buffer.from(env.TWOFA_ENCRYPTION_KEY, "base64") }]);
const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: Number(env.POOL_MAX ?? 10), connectionTimeoutMillis: 3000, idleTimeoutMillis: 30_000 });
pool.on("error", () => {});

let dummyHash;
argon2.hash("dummy password for timing equalisation", { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 }).then((h) => (dummyHash = h));

// ---- HTTP plumbing -------------------------------------------------------------------------

class HttpError extends Error {
  constructor(status, code) {
    super(code);
    this.status = status;
    this.code = code;
  }
}

function parseCookies(header) {
  const out = {};
  if (!header) return out;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const k = part.slice(0, eq).trim();
    if (!(k in out)) {
      try {
        out[k] = decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        out[k] = part.slice(eq + 1).trim();
      }
    }
  }
  return out;
}

const cookie = (name, value, path, maxAge) =>
  `${name}=${encodeURIComponent(value)}; Max-Age=${maxAge}; Path=${path}; Expires=${new Date(Date.now() + maxAge * 1000).toUTCString()}; HttpOnly; SameSite=Lax`;
const clearCookie = (name, path) => `${name}=; Path=${path}; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax`;

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > 10 * 1024) reject(new HttpError(413, "PAYLOAD_TOO_LARGE"));
      else chunks.push(c);
    });
    req.on("end", () => {
      if (!size) return resolve({});
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(new HttpError(400, "MALFORMED_JSON"));
      }
    });
    req.on("error", reject);
  });
}

function send(res, status, body, cookies = []) {
  const payload = body === undefined ? "" : JSON.stringify(body);
  const headers = { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(payload) };
  if (cookies.length) headers["set-cookie"] = cookies;
  res.writeHead(status, headers);
  res.end(payload);
}

// ---- CSRF: signed double submit bound to the session id (HMAC of sid + random value) --------

const csrfSign = (sid, value) => crypto.createHmac("sha256", env.CSRF_SECRET).update(`${sid}!${value}`).digest("base64url");
function issueCsrf(sid = "") {
  const value = crypto.randomBytes(32).toString("base64url");
  return `XSRF-TOKEN=${value}.${csrfSign(sid, value)}; Path=/; SameSite=Lax`;
}
/** The session a request belongs to: the sid of its access or refresh token (signature checked, expiry not). */
function sessionIdOf(cookies) {
  for (const [name, type] of [["access_token", "access"], ["refresh_token", "refresh"]]) {
    const claims = verify(cookies[name], type, true);
    if (typeof claims?.sid === "string") return claims.sid;
  }
  return "";
}
function checkCsrf(req, cookies) {
  const header = req.headers["x-xsrf-token"];
  const token = cookies["XSRF-TOKEN"];
  const [value, mac] = token.split(".");
  const expected = Buffer.from(csrfSign(sessionIdOf(cookies), value ?? ""));
  if (!mac || Buffer.byteLength(mac) !== expected.length || !crypto.timingSafeEqual(Buffer.from(mac), expected)) throw new HttpError(403, "CSRF_FAILED");
}

// ---- JWT ---------------------------------------------------------------------------------

const now = () => Math.floor(Date.now() / 1000);
const sign = (claims, type) =>
  jwt.sign({ ...claims, type, iat: now() }, SECRET[type], { algorithm: "HS256", expiresIn: TTL[type], issuer: ISSUER, audience: AUDIENCE });
function verify(token, type, ignoreExpiration = false) {
  if (typeof token !== "string") return null;
  try {
    const claims = jwt.verify(token, SECRET[type], { algorithms: ["HS256"], issuer: ISSUER, audience: AUDIENCE, ignoreExpiration });
    return claims.type === type && typeof claims.sub === "string" && typeof claims.exp === "number" ? claims : null;
  } catch {
    return null;
  }
}

/** Access + refresh for a session row (sid, gen), as backend/src/sessions/session-cookies.ts. */
function sessionCookies(user, session) {
  const common = { sub: user.id, sid: session.id, tv: user.tokenVersion };
  const refreshTtl = Math.min(TTL.refresh, Math.floor((session.expiresAt.getTime() - Date.now()) / 1000));
  return [
    cookie("access_token", sign({ ...common, auth_time: Math.floor(session.authTime.getTime() / 1000) }, "access"), "/", TTL.access),
    cookie("refresh_token", jwt.sign({ ...common, gen: session.refreshGeneration, type: "refresh", iat: now() }, SECRET.refresh, { algorithm: "HS256", expiresIn: refreshTtl, issuer: ISSUER, audience: AUDIENCE }), "/auth", refreshTtl),
  ];
}
const SESSION_LIFETIME_MS = 30 * 24 * 3600 * 1000;
const newSession = (nowMs) => ({ id: crypto.randomBytes(24).toString("base64url"), authTime: new Date(nowMs), expiresAt: new Date(nowMs + SESSION_LIFETIME_MS), refreshGeneration: 0 });

const publicUser = (u) => ({ id: u.id, email: u.email, role: u.role, twoFactorEnabled: u.twoFactorEnabled });
const meta = (req) => ({ ip: req.socket.remoteAddress ?? null, ua: req.headers["user-agent"]?.slice(0, 512) ?? null });

// ---- SQL (the same statements the API sends) ------------------------------------------------

// "2FA on" is derived from the factor tables (backend/src/two-factor/factors.ts sqlTwoFactorOn).
const TWO_FACTOR_ON = `(EXISTS (SELECT 1 FROM "TotpCredential" tc WHERE tc."userId" = u."id")
    OR EXISTS (SELECT 1 FROM "Passkey" pk WHERE pk."userId" = u."id"))`;
// backend/src/sessions/sessions.ts findLiveSession and rotateRefreshToken (happy path), createSession.
const SESSION_USER_COLUMNS = `u."id", u."email", u."role"::text AS "role", u."tokenVersion", ${TWO_FACTOR_ON} AS "twoFactorEnabled",
  s."id" AS "sessionId", s."authTime", s."expiresAt", s."refreshGeneration", s."trustedDeviceId"`;
const SELECT_LIVE_SESSION = `SELECT ${SESSION_USER_COLUMNS}, s."lastSeenAt"
  FROM "Session" s JOIN "User" u ON u."id" = s."userId"
  WHERE s."id" = $1 AND s."userId" = $2 AND s."revokedAt" IS NULL AND s."expiresAt" > ($3::timestamptz AT TIME ZONE 'UTC')`;
const ROTATE = `
  WITH s AS (
    UPDATE "Session" SET "refreshGeneration" = "refreshGeneration" + 1, "rotatedAt" = ($1::timestamptz AT TIME ZONE 'UTC')
    WHERE "id" = $2 AND "userId" = $3 AND "refreshGeneration" = $4 AND "revokedAt" IS NULL AND "expiresAt" > ($1::timestamptz AT TIME ZONE 'UTC')
      AND EXISTS (SELECT 1 FROM "User" WHERE "id" = $3 AND "tokenVersion" = $5)
    RETURNING *
  )
  SELECT ${SESSION_USER_COLUMNS} FROM s JOIN "User" u ON u."id" = s."userId"`;
const SELECT_SESSION_FOR_GRACE = `SELECT ${SESSION_USER_COLUMNS}, s."rotatedAt", s."revokedAt"
  FROM "Session" s JOIN "User" u ON u."id" = s."userId" WHERE s."id" = $1 AND s."userId" = $2`;
const SESSION_INSERT_COLUMNS = `"id", "userId", "createdAt", "lastSeenAt", "expiresAt", "ip", "userAgent", "authMethod", "authTime", "trustedDeviceId"`;
const INSERT_SESSION = `INSERT INTO "Session" (${SESSION_INSERT_COLUMNS})
  SELECT $1, $2, ($3::timestamptz AT TIME ZONE 'UTC'), ($3::timestamptz AT TIME ZONE 'UTC'), ($4::timestamptz AT TIME ZONE 'UTC'), $5, $6, 'password'::"AuthMethod", ($3::timestamptz AT TIME ZONE 'UTC'), NULL`;
// The API reads the user with its factors (auth.service loginWithPassword: TotpCredential + Passkey count).
const SELECT_LOGIN = `SELECT u."id", u."email", u."role"::text AS "role", u."tokenVersion", u."passwordHash",
    EXISTS (SELECT 1 FROM "TotpCredential" tc WHERE tc."userId" = u."id") AS "totp",
    (SELECT count(*)::int FROM "Passkey" pk WHERE pk."userId" = u."id") AS "passkeys"
  FROM "User" u WHERE u."email" = $1`;
const INSERT_AUDIT = `INSERT INTO "AuditEvent" ("id", "userId", "type", "ip", "userAgent", "detail") VALUES ($1, $2, $3::"AuditEventType", $4, $5, $6::jsonb)`;
const INSERT_CHALLENGE = `INSERT INTO "LoginChallenge" ("id", "userId", "expiresAt") VALUES ($1, $2, ($3::timestamptz AT TIME ZONE 'UTC'))`;
// backend/src/two-factor/verify-login.ts loadChallenge.
const SELECT_CHALLENGE = `
  SELECT c."userId", c."expiresAt", c."consumedAt", c."failedAttempts", c."webauthnChallenge",
         u."twoFactorLockedUntil" AS "lockedUntil",
         t."id" AS "totpId", t."secret" AS "totpSecret", t."lastStep" AS "totpLastStep",
         (SELECT count(*)::int FROM "Passkey" p WHERE p."userId" = c."userId") AS "passkeys"
  FROM "LoginChallenge" c JOIN "User" u ON u."id" = c."userId"
  LEFT JOIN "TotpCredential" t ON t."userId" = c."userId"
  WHERE c."id" = $1`;
// backend/src/two-factor/verify-login.ts consumeChallenge with the TOTP verifier's spend
// (totp/totp-credential.ts sqlSpendTotpStep), with the same parameters.
const NOT_LOCKED = `("twoFactorLockedUntil" IS NULL OR "twoFactorLockedUntil" <= ($1::timestamptz AT TIME ZONE 'UTC'))`;
const LIVE = `"consumedAt" IS NULL AND "expiresAt" > ($1::timestamptz AT TIME ZONE 'UTC') AND "failedAttempts" < $4`;
const CONSUME = `
  WITH f AS (
    UPDATE "TotpCredential" SET "lastStep" = $5, "lastUsedAt" = ($1::timestamptz AT TIME ZONE 'UTC')
    WHERE "id" = $14 AND ("lastStep" IS NULL OR "lastStep" < $5)
      AND EXISTS (SELECT 1 FROM "LoginChallenge" WHERE "id" = $2 AND ${LIVE})
      AND EXISTS (SELECT 1 FROM "User" WHERE "id" = $3 AND ${NOT_LOCKED})
    RETURNING "userId"
  ), c AS (
    UPDATE "LoginChallenge" SET "consumedAt" = ($1::timestamptz AT TIME ZONE 'UTC')
    WHERE "id" = $2 AND "userId" = $3 AND ${LIVE} AND TRUE AND EXISTS (SELECT 1 FROM f)
    RETURNING "userId"
  ), u AS (
    UPDATE "User" SET "twoFactorFailedAttempts" = 0, "twoFactorFailureWindowAt" = NULL, "twoFactorLockedUntil" = NULL
    WHERE "id" = (SELECT "userId" FROM c) AND ${NOT_LOCKED}
    RETURNING "id", "email", "role", "tokenVersion"
  ), s AS (
    INSERT INTO "Session" (${SESSION_INSERT_COLUMNS})
    SELECT $12, (SELECT "id" FROM u), ($1::timestamptz AT TIME ZONE 'UTC'), ($1::timestamptz AT TIME ZONE 'UTC'), ($13::timestamptz AT TIME ZONE 'UTC'),
      $8, $9, 'totp'::"AuthMethod", ($1::timestamptz AT TIME ZONE 'UTC'), NULL WHERE EXISTS (SELECT 1 FROM u)
  ), a1 AS (
    INSERT INTO "AuditEvent" ("id", "userId", "type", "ip", "userAgent", "detail")
    SELECT $6, (SELECT "id" FROM u), 'TWOFA_VERIFY_SUCCESS'::"AuditEventType", $8, $9, $10::jsonb WHERE EXISTS (SELECT 1 FROM u)
  ), a2 AS (
    INSERT INTO "AuditEvent" ("id", "userId", "type", "ip", "userAgent", "detail")
    SELECT $7, (SELECT "id" FROM u), 'LOGIN_SUCCESS'::"AuditEventType", $8, $9, $11::jsonb WHERE EXISTS (SELECT 1 FROM u)
  )
  SELECT "id", "email", "role"::text AS "role", "tokenVersion", ${TWO_FACTOR_ON} AS "twoFactorEnabled" FROM u`;

// ---- routes --------------------------------------------------------------------------------

async function login(req, res) {
  const body = await readBody(req);
  const email = typeof body.email === "string" ? body.email.trim().toLowerCase() : "";
  const password = typeof body.password === "string" ? body.password : "";
  if (!email || !password || email.length > 254 || password.length > 1024) throw new HttpError(400, "VALIDATION_FAILED");
  const m = meta(req);
  const { rows } = await pool.query(SELECT_LOGIN, [email]);
  const user = rows[0];
  const ok = await argon2.verify(user?.passwordHash ?? dummyHash, password).catch(() => false);
  if (!user || !ok) {
    await pool.query(INSERT_AUDIT, [crypto.randomUUID(), user?.id ?? null, "LOGIN_FAILURE", m.ip, m.ua, null]);
    throw new HttpError(401, "INVALID_CREDENTIALS");
  }
  user.twoFactorEnabled = user.totp || user.passkeys > 0;
  if (!user.twoFactorEnabled) {
    const session = newSession(Date.now());
    await pool.query(INSERT_SESSION, [session.id, user.id, session.authTime.toISOString(), session.expiresAt.toISOString(), m.ip, m.ua]);
    await pool.query(INSERT_AUDIT, [crypto.randomUUID(), user.id, "LOGIN_SUCCESS", m.ip, m.ua, JSON.stringify({ method: "password" })]);
    return send(res, 200, { user: publicUser(user) }, [...sessionCookies(user, session), issueCsrf(session.id)]);
  }
  const challengeId = crypto.randomBytes(24).toString("base64url");
  await pool.query(INSERT_CHALLENGE, [challengeId, user.id, new Date(Date.now() + TTL.twofa * 1000).toISOString()]);
  const methods = [...(user.totp ? ["totp"] : []), ...(user.passkeys > 0 ? ["passkey"] : []), "backup_code"];
  send(res, 200, { requires2FA: true, methods }, [
    clearCookie("access_token", "/"),
    clearCookie("refresh_token", "/auth"),
    issueCsrf(""),
    cookie("twofa_token", sign({ sub: user.id, n: challengeId }, "twofa"), "/auth/2fa", TTL.twofa),
  ]);
}

async function verifyLogin(req, res, cookies) {
  const body = await readBody(req);
  const code = typeof body.code === "string" ? body.code.replace(/\s/g, "") : "";
  if (!/^\d{6}$/.test(code)) throw new HttpError(400, "VALIDATION_FAILED");
  const token = verify(cookies.twofa_token, "twofa");
  if (!token) throw new HttpError(401, "SESSION_EXPIRED");
  const nowMs = Date.now();
  const { rows } = await pool.query(SELECT_CHALLENGE, [token.n]);
  const c = rows[0];
  if (!c || c.userId !== token.sub || c.consumedAt || c.expiresAt.getTime() <= nowMs || c.failedAttempts >= MAX_CHALLENGE_FAILURES || (!c.totpId && c.passkeys === 0)) {
    throw new HttpError(401, "SESSION_EXPIRED");
  }
  if (c.lockedUntil && c.lockedUntil.getTime() > nowMs) throw new HttpError(429, "TOO_MANY_ATTEMPTS");
  if (!c.totpSecret) throw new HttpError(400, "INVALID_CODE");
  const accepted = verifyTotp(secretBox.decrypt(c.totpSecret), code, nowMs, WINDOW);
  if (!accepted) throw new HttpError(400, "INVALID_CODE");
  if (c.totpLastStep !== null && accepted.step <= c.totpLastStep) throw new HttpError(400, "INVALID_CODE");
  const m = meta(req);
  const session = newSession(nowMs);
  const consumed = await pool.query(CONSUME, [
    new Date(nowMs).toISOString(), token.n, c.userId, MAX_CHALLENGE_FAILURES, accepted.step,
    crypto.randomUUID(), crypto.randomUUID(), m.ip, m.ua, JSON.stringify({ method: "totp" }), JSON.stringify({ method: "totp", twoFactor: true }),
    session.id, session.expiresAt.toISOString(), c.totpId,
  ]);
  const user = consumed.rows[0];
  if (!user) throw new HttpError(401, "SESSION_EXPIRED");
  send(res, 200, { message: "2FA verified", user: publicUser(user) }, [clearCookie("twofa_token", "/auth/2fa"), ...sessionCookies(user, session), issueCsrf(session.id)]);
}

// The happy path, plus the grace period for the previous generation as the API has it (a run
// that stops leaves responses unread, so the next run starts one generation behind). No reuse
// detection: that is a failure path.
const REFRESH_GRACE_MS = 10_000;
async function refresh(_req, res, cookies) {
  const claims = verify(cookies.refresh_token, "refresh");
  if (!claims || typeof claims.sid !== "string") throw new HttpError(401, "UNAUTHENTICATED");
  const nowMs = Date.now();
  let { rows } = await pool.query(ROTATE, [new Date(nowMs).toISOString(), claims.sid, claims.sub, claims.gen, claims.tv]);
  if (!rows[0]) {
    ({ rows } = await pool.query(SELECT_SESSION_FOR_GRACE, [claims.sid, claims.sub]));
    const r = rows[0];
    const inGrace = r && !r.revokedAt && r.tokenVersion === claims.tv && r.refreshGeneration - claims.gen === 1 && r.rotatedAt && nowMs - r.rotatedAt.getTime() <= REFRESH_GRACE_MS;
    if (!inGrace) throw new HttpError(401, "UNAUTHENTICATED");
  }
  const row = rows[0];
  send(res, 200, { user: publicUser(row) }, sessionCookies(row, { ...row, id: row.sessionId }));
}

async function me(_req, res, cookies) {
  const claims = verify(cookies.access_token, "access");
  if (!claims || typeof claims.sid !== "string") throw new HttpError(401, "UNAUTHENTICATED");
  const { rows } = await pool.query(SELECT_LIVE_SESSION, [claims.sid, claims.sub, new Date().toISOString()]);
  const row = rows[0];
  if (!row || row.tokenVersion !== claims.tv) throw new HttpError(401, "UNAUTHENTICATED");
  send(res, 200, publicUser(row));
}

const routes = {
  "POST /auth/login": login,
  "POST /auth/2fa/verify-login": verifyLogin,
  "POST /auth/refresh": refresh,
  "GET /auth/me": me,
};

/** The raw node:http dispatcher (the default: the ceiling of this stack). */
const rawHandler = async (req, res) => {
  try {
    const path = req.url.split("?")[0];
    if (req.method === "GET" && path === "/healthz") {
      await pool.query("SELECT 1");
      return send(res, 200, { status: "ok", db: "ok" });
    }
    const cookies = parseCookies(req.headers.cookie);
    if (req.method === "GET" && path === "/auth/csrf") {
      res.writeHead(204, { "set-cookie": issueCsrf(sessionIdOf(cookies)) });
      return res.end();
    }
    const handler = routes[`${req.method} ${path}`];
    if (!handler) return send(res, 404, { message: "Not found", code: "NOT_FOUND" });
    if (req.method === "POST") checkCsrf(req, cookies);
    await handler(req, res, cookies);
  } catch (err) {
    if (res.headersSent) return res.destroy();
    if (err instanceof HttpError) return send(res, err.status, { message: err.code, code: err.code });
    send(res, 503, { message: "The service is temporarily unavailable", code: "SERVICE_UNAVAILABLE" });
  }
};

/**
 * REFERENCE_FRAMEWORK=express: the same handlers routed by a minimal Express 5 app (no other
 * middleware) — "a minimal Express + raw pg server doing the same checks", the ceiling issue 12
 * was first measured against. The difference between the two references is what Express's
 * router and its req/res prototypes cost; the difference to ours is everything we add on top.
 */
function expressHandler() {
  const express = require("express");
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.get("/healthz", async (_req, res) => {
    await pool.query("SELECT 1");
    send(res, 200, { status: "ok", db: "ok" });
  });
  app.get("/auth/csrf", (req, res) => {
    res.writeHead(204, { "set-cookie": issueCsrf(sessionIdOf(parseCookies(req.headers.cookie))) });
    res.end();
  });
  for (const [key, handler] of Object.entries(routes)) {
    const [method, routePath] = key.split(" ");
    app[method.toLowerCase()](routePath, async (req, res) => {
      const cookies = parseCookies(req.headers.cookie);
      if (method === "POST") checkCsrf(req, cookies);
      await handler(req, res, cookies);
    });
  }
  app.use((_req, res) => send(res, 404, { message: "Not found", code: "NOT_FOUND" }));
  // eslint-disable-next-line no-unused-vars
  app.use((err, _req, res, _next) => {
    if (res.headersSent) return res.destroy();
    if (err instanceof HttpError) return send(res, err.status, { message: err.code, code: err.code });
    send(res, 503, { message: "The service is temporarily unavailable", code: "SERVICE_UNAVAILABLE" });
  });
  return app;
}

const FRAMEWORK = env.REFERENCE_FRAMEWORK === "express" ? "express" : "node:http";
const server = http.createServer(FRAMEWORK === "express" ? expressHandler() : rawHandler);
server.keepAliveTimeout = 5000;
server.listen(PORT, "127.0.0.1", () => console.log(`reference server (${FRAMEWORK}) listening on ${PORT}`));
const stop = () => server.close(() => pool.end().finally(() => process.exit(0)));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
