// Attacks from the security review of sessions, CSRF, proofs, account and admin (written as the
// attacks; each one failed before its fix).
import { clientWith2FA, codeAt, PASSWORD, startLogin, startTestApp, type TestEnv } from "./harness";

let env: TestEnv;
beforeAll(async () => {
  env = await startTestApp();
});
afterAll(async () => {
  await env.close();
});

const NEW_PASSWORD = "violet tractor sings at midnight";

describe("a login half-way (password given, code pending) dies with the change that ends every other session", () => {
  test("password change: an attacker who had the old password cannot finish the login with a phished code", async () => {
    const { client, email, secret } = await clientWith2FA(env);
    const attacker = await startLogin(env, email); // old password, twofa_token held
    const res = await client.post("/auth/password/change", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, code: codeAt(secret, env) });
    expect(res.status).toBe(200);
    env.clock.advance(30);
    const finish = await attacker.post("/auth/2fa/verify-login", { code: codeAt(secret, env) });
    expect(finish.status).toBe(401);
    expect(finish.body.code).toBe("SESSION_EXPIRED");
  });

  test("logout-all (\"sign out everywhere\"): the pending login cannot be finished either", async () => {
    const { client, email, secret } = await clientWith2FA(env);
    const attacker = await startLogin(env, email);
    expect((await client.post("/auth/logout-all")).status).toBe(200);
    const finish = await attacker.post("/auth/2fa/verify-login", { code: codeAt(secret, env) });
    expect(finish.status).toBe(401);
    expect(finish.body.code).toBe("SESSION_EXPIRED");
  });
});
