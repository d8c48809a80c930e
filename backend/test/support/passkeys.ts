// HTTP helpers for passkey tests: a fake authenticator on the app's configured origin and RP ID,
// and the two-request flows (options → browser → server) as the SPA runs them.
import type { Client, TestEnv } from "../harness";
import { FakeAuthenticator, type AuthenticatorOptions } from "./fake-authenticator";

/** A software authenticator for `env`'s WebAuthn config (first origin, RP ID). */
export function newAuthenticator(env: TestEnv, opts: Partial<AuthenticatorOptions> = {}) {
  return new FakeAuthenticator({ origin: env.config.webauthn.origins[0], rpId: env.config.webauthn.rpId, ...opts });
}

/** registration-options → create() → POST /auth/2fa/passkeys; returns the last answer. */
export async function addPasskey(client: Client, key: FakeAuthenticator, name = "YubiKey 5C", body: object = {}) {
  const options = await client.post("/auth/2fa/passkeys/registration-options", body);
  if (options.status !== 200) throw new Error(`registration-options: ${options.status} ${JSON.stringify(options.body)}`);
  return client.post("/auth/2fa/passkeys", { name, response: key.register(options.body) });
}

/** The code step with a passkey: passkey-options → get() → verify-login {passkey}. */
export async function passkeyOptions(client: Client) {
  const res = await client.post("/auth/2fa/passkey-options");
  if (res.status !== 200) throw new Error(`passkey-options: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { challenge: string; allowCredentials: { id: string }[]; userVerification: string };
}

/** proof-options → get(): a passkey proof for a body that takes {passkey}. */
export async function passkeyProof(client: Client, key: FakeAuthenticator, bend: Parameters<FakeAuthenticator["authenticate"]>[1] = {}) {
  const res = await client.post("/auth/2fa/passkeys/proof-options");
  if (res.status !== 200) throw new Error(`proof-options: ${res.status} ${JSON.stringify(res.body)}`);
  return key.authenticate(res.body, bend);
}
