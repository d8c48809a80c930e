import { Client, registeredClient, startTestApp, type TestEnv } from "./harness";

let env: TestEnv;
beforeAll(async () => {
  env = await startTestApp();
});
afterAll(() => env.close());

test("smoke", async () => {
  const { client } = await registeredClient(env);
  const me = await client.get("/auth/me");
  expect(me.status).toBe(200);
  expect(me.body.email).toMatch(/@example.com/);
  const c2 = await new Client(env.app).init();
  expect((await c2.get("/healthz")).body).toEqual({ status: "ok", db: "ok" });
});
