// Enforcement with grace (issue 14.5): TWOFA_REQUIRED_ROLES must use 2FA; TWOFA_GRACE_HOURS run
// from the first request under the rule; then only the 2FA setup works. The deadline follows the
// setting, so tightening it shortens existing deadlines.
import { createUser } from "../src/auth/users";
import { ConfigError } from "../src/config";
import { generateTotp } from "../src/two-factor/totp/totp";
import { Client, PASSWORD, registeredClient, startTestApp, testConfig, uniqueEmail, type TestEnv } from "./harness";

const HOUR = 3600;
let env: TestEnv;
beforeAll(async () => {
  env = await startTestApp();
});
afterAll(() => env.close());

async function signedInAdmin(app = env) {
  const email = uniqueEmail("admin");
  await createUser(app.db, { email, password: PASSWORD, role: "ADMIN" });
  const client = await new Client(app.app).init();
  expect((await client.post("/auth/login", { email, password: PASSWORD })).status).toBe(200);
  return { client, email };
}

/** Time passes; the browser refreshes its 15-minute access token, as the SPA does. */
async function later(hours: number, ...clients: Client[]) {
  env.clock.advance(hours * HOUR);
  for (const c of clients) expect((await c.post("/auth/refresh")).status).toBe(200);
}

async function enable(client: Client) {
  // the login may be older than 10 minutes: confirm the password (DESIGN §6.7)
  const setup = await client.post("/auth/2fa/setup", { password: PASSWORD });
  expect(setup.status).toBe(200);
  expect((await client.post("/auth/2fa/enable", { token: generateTotp(setup.body.secret, env.clock.now()) })).status).toBe(200);
  env.clock.advance(30);
  return setup.body.secret as string;
}

test("defaults (ADMIN, 48 h): an admin without 2FA works, told the deadline; after it only the setup works; enabling ends it", async () => {
  const { client, email } = await signedInAdmin();
  const start = env.clock.now();
  const me = await client.get("/auth/me");
  expect(me.body).toMatchObject({ email, role: "ADMIN", twoFactorEnabled: false });
  expect(me.body.twoFactorRequirement).toEqual({ reason: "role", deadline: new Date(start + 48 * HOUR * 1000).toISOString(), blocked: false });
  expect((await client.get("/auth/sessions")).status).toBe(200);

  await later(47, client);
  expect((await client.get("/auth/sessions")).status).toBe(200);
  // signing in again does not restart the grace period
  const again = await new Client(env.app).init();
  expect((await again.post("/auth/login", { email, password: PASSWORD })).status).toBe(200);
  expect((await again.get("/auth/me")).body.twoFactorRequirement.deadline).toBe(new Date(start + 48 * HOUR * 1000).toISOString());

  await later(1, client);
  const blocked = await client.get("/auth/sessions");
  expect(blocked.status).toBe(403);
  expect(blocked.body.code).toBe("TWOFA_SETUP_REQUIRED");
  expect((await client.get("/auth/me")).body.twoFactorRequirement).toMatchObject({ blocked: true });

  await enable(client);
  expect((await client.get("/auth/me")).body.twoFactorRequirement).toBeNull();
  expect((await client.get("/auth/sessions")).status).toBe(200);
});

test("a plain USER is asked nothing by default", async () => {
  const { client } = await registeredClient(env);
  expect((await client.get("/auth/me")).body.twoFactorRequirement).toBeNull();
  await later(100, client);
  expect((await client.get("/auth/sessions")).status).toBe(200);
});

test("tightening TWOFA_GRACE_HOURS shortens deadlines already running (two instances, one setting each)", async () => {
  const { client } = await signedInAdmin();
  const start = env.clock.now();
  expect((await client.get("/auth/me")).body.twoFactorRequirement.deadline).toBe(new Date(start + 48 * HOUR * 1000).toISOString());
  await later(2, client);
  const strict = await startTestApp({ env: { TWOFA_GRACE_HOURS: "1" }, share: env });
  try {
    const onStrict = (await import("./harness")).copyBrowser(client, strict.app);
    expect((await onStrict.get("/auth/me")).body.twoFactorRequirement).toEqual({ reason: "role", deadline: new Date(start + HOUR * 1000).toISOString(), blocked: true });
    expect((await onStrict.get("/auth/sessions")).status).toBe(403);
    expect((await client.get("/auth/sessions")).status).toBe(200); // the old setting still gives time
  } finally {
    await strict.close();
  }
});

test("TWOFA_REQUIRED_ROLES=USER,ADMIN gives users a deadline too; 'none' requires nobody; 0 hours blocks at once", async () => {
  const everyone = await startTestApp({ env: { TWOFA_REQUIRED_ROLES: "USER,ADMIN", TWOFA_GRACE_HOURS: "0" }, share: env });
  const nobody = await startTestApp({ env: { TWOFA_REQUIRED_ROLES: "none" }, share: env });
  try {
    const { client } = await registeredClient(everyone);
    expect((await client.get("/auth/sessions")).body.code).toBe("TWOFA_SETUP_REQUIRED");
    expect((await client.get("/auth/me")).body.twoFactorRequirement).toMatchObject({ reason: "role", blocked: true });
    const { client: admin } = await signedInAdmin(nobody);
    await later(100, admin);
    expect((await admin.get("/auth/sessions")).status).toBe(200);
    expect((await admin.get("/auth/me")).body.twoFactorRequirement).toBeNull();
  } finally {
    await everyone.close();
    await nobody.close();
  }
});

test("an admin who turns 2FA off after the grace period gets no new one", async () => {
  const { client } = await signedInAdmin();
  const secret = await enable(client);
  await later(72, client);
  const off = await client.post("/auth/2fa/disable", { password: PASSWORD, code: generateTotp(secret, env.clock.now()) });
  expect(off.status).toBe(200);
  expect((await client.get("/auth/sessions")).body.code).toBe("TWOFA_SETUP_REQUIRED");
});

test("config: TWOFA_REQUIRED_ROLES and TWOFA_GRACE_HOURS are parsed and checked", () => {
  expect(testConfig().twoFactorEnforcement).toEqual({ requiredRoles: ["ADMIN"], graceMs: 48 * HOUR * 1000 });
  expect(testConfig({ TWOFA_REQUIRED_ROLES: "user, admin", TWOFA_GRACE_HOURS: "0.5" }).twoFactorEnforcement).toEqual({ requiredRoles: ["USER", "ADMIN"], graceMs: 1800_000 });
  expect(testConfig({ TWOFA_REQUIRED_ROLES: "none" }).twoFactorEnforcement.requiredRoles).toEqual([]);
  expect(() => testConfig({ TWOFA_REQUIRED_ROLES: "ROOT" })).toThrow(ConfigError);
  expect(() => testConfig({ TWOFA_GRACE_HOURS: "-1" })).toThrow(ConfigError);
});
