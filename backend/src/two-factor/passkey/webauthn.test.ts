// webauthn.ts against real WebAuthn responses built in Node (test/support/fake-authenticator.ts:
// a P-256 key, authenticatorData, clientDataJSON, a "none" attestationObject, ES256 signatures).
import crypto from "node:crypto";
import { loadConfig, type WebAuthnConfig } from "../../config";
import { FakeAuthenticator } from "../../../test/support/fake-authenticator";
import {
  authenticationOptions,
  challengeOf,
  counterWentBackwards,
  registrationOptions,
  verifyAuthentication,
  verifyRegistration,
  type NewCredential,
} from "./webauthn";

const cfg: WebAuthnConfig = { rpId: "localhost", rpName: "TwoFA", origins: ["http://localhost:3000", "http://localhost:4200"] };
const user = { id: "cku1234567890", email: "ada@example.com" };
const newKey = (opts: Partial<ConstructorParameters<typeof FakeAuthenticator>[0]> = {}) => new FakeAuthenticator({ origin: "http://localhost:4200", rpId: "localhost", ...opts });

async function registered(key: FakeAuthenticator): Promise<NewCredential> {
  const options = await registrationOptions(cfg, user, []);
  const result = await verifyRegistration(cfg, key.register(options) as never, options.challenge);
  if (!result.ok) throw new Error(`registration refused: ${JSON.stringify(result)}`);
  return result.credential;
}

describe("registration", () => {
  test("options: user verification required, attestation none, our RP, a stable user handle, existing keys excluded", async () => {
    const options = await registrationOptions(cfg, user, [{ credentialId: "AAAA", transports: ["usb"] }]);
    expect(options.rp).toEqual({ name: "TwoFA", id: "localhost" });
    expect(options.user.name).toBe(user.email);
    expect(Buffer.from(options.user.id, "base64url").toString()).toBe(user.id);
    expect(options.authenticatorSelection).toMatchObject({ userVerification: "required", residentKey: "preferred" });
    expect(options.attestation).toBe("none");
    expect(options.excludeCredentials).toEqual([{ id: "AAAA", type: "public-key", transports: ["usb"] }]);
    expect(options.pubKeyCredParams.map((p) => p.alg)).toEqual([-8, -7, -257]);
    expect(options.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes
    expect((await registrationOptions(cfg, user, [])).challenge).not.toBe(options.challenge);
  });

  test("a real response verifies: credential id, COSE key, counter, flags, AAGUID, transports", async () => {
    const key = newKey({ synced: true, transports: ["internal", "hybrid"], counter: 0 });
    const credential = await registered(key);
    expect(credential).toMatchObject({ credentialId: key.id, counter: 0, deviceType: "multiDevice", backedUp: true, transports: ["internal", "hybrid"], aaguid: "00000000-0000-0000-0000-000000000000" });
    expect(Buffer.from(credential.publicKey).equals(key.cosePublicKey())).toBe(true);
    const bound = await registered(newKey());
    expect(bound).toMatchObject({ deviceType: "singleDevice", backedUp: false });
  });

  test("no user verification → refused with reason user_verification", async () => {
    const options = await registrationOptions(cfg, user, []);
    const result = await verifyRegistration(cfg, newKey().register(options, { uv: false }) as never, options.challenge);
    expect(result).toEqual({ ok: false, reason: "user_verification" });
  });

  test("another challenge → reason challenge; another origin, RP ID or type → refused", async () => {
    const options = await registrationOptions(cfg, user, []);
    const key = newKey();
    expect(await verifyRegistration(cfg, key.register(options, { challenge: "b3RoZXI" }) as never, options.challenge)).toEqual({ ok: false, reason: "challenge" });
    expect(await verifyRegistration(cfg, key.register(options, { origin: "https://evil.example" }) as never, options.challenge)).toEqual({ ok: false });
    expect(await verifyRegistration(cfg, key.register(options, { rpId: "evil.example" }) as never, options.challenge)).toEqual({ ok: false });
    expect(await verifyRegistration(cfg, key.register(options, { type: "webauthn.get" }) as never, options.challenge)).toEqual({ ok: false });
    expect(await verifyRegistration(cfg, key.register(options, { up: false }) as never, options.challenge)).toEqual({ ok: false });
  });

  test("undecodable parts are malformed (a client error), not a refusal", async () => {
    const options = await registrationOptions(cfg, user, []);
    const good = newKey().register(options);
    const bad = (response: object) => verifyRegistration(cfg, { ...good, response: { ...good.response, ...response } } as never, options.challenge);
    expect(await bad({ clientDataJSON: Buffer.from("not json").toString("base64url") })).toMatchObject({ ok: false, malformed: true });
    expect(await bad({ clientDataJSON: Buffer.from("[1]").toString("base64url") })).toMatchObject({ ok: false, malformed: true });
    expect(await bad({ attestationObject: Buffer.from("garbage").toString("base64url") })).toMatchObject({ ok: false, malformed: true });
    expect(await bad({ attestationObject: "" })).toMatchObject({ ok: false, malformed: true });
    expect(challengeOf({ response: { clientDataJSON: "!!" } })).toBeNull();
    expect(challengeOf(good)).toBe(options.challenge);
  });
});

describe("authentication", () => {
  test("options: user verification required, only the given credentials", async () => {
    const options = await authenticationOptions(cfg, [{ credentialId: "AAAA", transports: ["usb", "nfc"] }]);
    expect(options).toMatchObject({ rpId: "localhost", userVerification: "required", allowCredentials: [{ id: "AAAA", type: "public-key", transports: ["usb", "nfc"] }] });
  });

  test("a real assertion verifies and returns the new counter; a forged signature does not", async () => {
    const key = newKey({ counter: 1 });
    const credential = await registered(key);
    const options = await authenticationOptions(cfg, [credential]);
    const result = await verifyAuthentication(cfg, key.authenticate(options) as never, options.challenge, credential);
    expect(result).toEqual({ ok: true, newCounter: 2 });
    const forger = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    expect(await verifyAuthentication(cfg, key.authenticate(options, { signWith: forger }) as never, options.challenge, { ...credential, counter: 2 })).toEqual({ ok: false });
  });

  test("user verification flag missing → user_verification; another challenge → challenge; another credential → unknown_credential", async () => {
    const key = newKey();
    const credential = await registered(key);
    const options = await authenticationOptions(cfg, [credential]);
    expect(await verifyAuthentication(cfg, key.authenticate(options, { uv: false }) as never, options.challenge, credential)).toEqual({ ok: false, reason: "user_verification" });
    expect(await verifyAuthentication(cfg, key.authenticate({ challenge: "c3RhbGU" }) as never, options.challenge, credential)).toEqual({ ok: false, reason: "challenge" });
    const other = newKey();
    expect(await verifyAuthentication(cfg, other.authenticate(options) as never, options.challenge, credential)).toEqual({ ok: false, reason: "unknown_credential" });
    // another origin (a phishing site relaying the challenge) or RP ID
    expect(await verifyAuthentication(cfg, key.authenticate(options, { origin: "https://evil.example" }) as never, options.challenge, credential)).toEqual({ ok: false });
    expect(await verifyAuthentication(cfg, key.authenticate(options, { rpId: "evil.example" }) as never, options.challenge, credential)).toEqual({ ok: false });
  });

  test("counter: backwards or not moving is counter_rollback (only once the signature verified); both 0 is fine", async () => {
    const key = newKey({ counter: 5 });
    const credential = await registered(key);
    const options = await authenticationOptions(cfg, [credential]);
    const stored = { ...credential, counter: 10n };
    expect(await verifyAuthentication(cfg, key.authenticate(options, { counter: 9 }) as never, options.challenge, stored)).toEqual({ ok: false, reason: "counter_rollback" });
    expect(await verifyAuthentication(cfg, key.authenticate(options, { counter: 10 }) as never, options.challenge, stored)).toEqual({ ok: false, reason: "counter_rollback" });
    expect(await verifyAuthentication(cfg, key.authenticate(options, { counter: 0 }) as never, options.challenge, stored)).toEqual({ ok: false, reason: "counter_rollback" });
    expect(await verifyAuthentication(cfg, key.authenticate(options, { counter: 11 }) as never, options.challenge, stored)).toEqual({ ok: true, newCounter: 11 });
    // a forged response with a low counter raises no rollback alarm: it is just refused
    const forger = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    expect(await verifyAuthentication(cfg, key.authenticate(options, { counter: 1, signWith: forger }) as never, options.challenge, stored)).toEqual({ ok: false });
    const counterless = newKey();
    const c0 = await registered(counterless);
    expect(await verifyAuthentication(cfg, counterless.authenticate(options) as never, options.challenge, c0)).toEqual({ ok: true, newCounter: 0 });
    expect(await verifyAuthentication(cfg, counterless.authenticate(options) as never, options.challenge, c0)).toEqual({ ok: true, newCounter: 0 });
  });

  test("counterWentBackwards", () => {
    expect(counterWentBackwards(0, 0)).toBe(false);
    expect(counterWentBackwards(0, 1)).toBe(false);
    expect(counterWentBackwards(0n, 7)).toBe(false);
    expect(counterWentBackwards(7n, 8)).toBe(false);
    expect(counterWentBackwards(7n, 7)).toBe(true);
    expect(counterWentBackwards(7, 0)).toBe(true);
    expect(counterWentBackwards(4294967295n, 1)).toBe(true);
  });

  test("malformed authenticatorData or clientDataJSON is malformed, not a refusal", async () => {
    const key = newKey();
    const credential = await registered(key);
    const options = await authenticationOptions(cfg, [credential]);
    const good = key.authenticate(options);
    const bad = (response: object) => verifyAuthentication(cfg, { ...good, response: { ...good.response, ...response } } as never, options.challenge, credential);
    expect(await bad({ authenticatorData: "AAAA" })).toMatchObject({ ok: false, malformed: true });
    expect(await bad({ clientDataJSON: Buffer.from("{}").toString("base64url") })).toMatchObject({ ok: false, malformed: true });
  });
});

describe("config", () => {
  const secrets = { NODE_ENV: "test", JWT_ACCESS_SECRET: "a".repeat(32), JWT_REFRESH_SECRET: "r".repeat(32), JWT_2FA_SECRET: "t".repeat(32), CSRF_SECRET: "c".repeat(32), BACKUP_CODE_KEY: "b".repeat(32), TWOFA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64") };
  const load = (env: Record<string, string>) => loadConfig({ ...secrets, ...env } as NodeJS.ProcessEnv, "/nonexistent");

  test("defaults work on http://localhost (the API's port and the dev server's)", () => {
    expect(load({}).webauthn).toEqual({ rpId: "localhost", rpName: "TwoFA", origins: ["http://localhost:3000", "http://localhost:4200"] });
    expect(load({ PORT: "8080", TOTP_ISSUER: "Acme" }).webauthn).toEqual({ rpId: "localhost", rpName: "Acme", origins: ["http://localhost:8080", "http://localhost:4200"] });
  });

  test("an RP ID and origins of a real site; the name of its own", () => {
    const config = load({ WEBAUTHN_RP_ID: "example.com", WEBAUTHN_RP_NAME: "Example", WEBAUTHN_ORIGINS: "https://example.com, https://app.example.com/" });
    expect(config.webauthn).toEqual({ rpId: "example.com", rpName: "Example", origins: ["https://example.com", "https://app.example.com"] });
  });

  test("refused at boot: an IP as RP ID, a URL as RP ID, an origin with a path, an origin off the RP ID", () => {
    expect(() => load({ WEBAUTHN_RP_ID: "127.0.0.1" })).toThrow(/WEBAUTHN_RP_ID must be a domain/);
    expect(() => load({ WEBAUTHN_RP_ID: "https://example.com" })).toThrow(/WEBAUTHN_RP_ID/);
    expect(() => load({ WEBAUTHN_RP_ID: "example.com", WEBAUTHN_ORIGINS: "https://example.com/app" })).toThrow(/origin only/);
    expect(() => load({ WEBAUTHN_RP_ID: "example.com", WEBAUTHN_ORIGINS: "https://badexample.com" })).toThrow(/not on WEBAUTHN_RP_ID/);
    expect(() => load({ WEBAUTHN_ORIGINS: "http://127.0.0.1:3000" })).toThrow(/not on WEBAUTHN_RP_ID/);
    expect(() => load({ WEBAUTHN_ORIGINS: "nonsense" })).toThrow(/not a URL/);
  });
});
