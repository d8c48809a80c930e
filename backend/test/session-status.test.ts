// GET /auth/session: the SPA's start-up question, answered 200 whether or not anyone is signed in
// (a logged-out page load shows no failed request), refreshing a returning browser with the
// same rotation and reuse detection as POST /auth/refresh. GET /auth/me keeps its 401.
import { Client, copyBrowser, readCookie, registeredClient, startTestApp, type TestEnv } from "./harness";

let env: TestEnv;
beforeAll(async () => {
  env = await startTestApp();
});
afterAll(() => env.close());

const ACCESS_TTL_SECONDS = 15 * 60;
const setCookies = (res: { headers: Record<string, unknown> }) => ([] as string[]).concat((res.headers["set-cookie"] as string[] | undefined) ?? []);

/** A browser holding only `client`'s refresh token (its access token is gone). */
function withRefreshOnly(client: Client): Client {
  const copy = new Client(client.app, client.ip);
  copy.agent.jar.setCookie(`refresh_token=${client.cookie("refresh_token")}; Path=/auth`, "127.0.0.1", "/");
  return copy;
}

describe("GET /auth/session", () => {
  test("nobody signed in: 200 {user: null}, no-store, no session cookie set; /auth/me still answers 401", async () => {
    const client = await new Client(env.app).init();
    const res = await client.get("/auth/session");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: null });
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(setCookies(res).filter((c) => /^(access|refresh)_token=/.test(c))).toEqual([]);
    expect((await client.get("/auth/me")).status).toBe(401);
  });

  test("signed in: 200 {user} with exactly what /auth/me says, and no refresh", async () => {
    const { client, userId } = await registeredClient(env);
    const before = await env.db.session.findFirstOrThrow({ where: { userId } });
    const res = await client.get("/auth/session");
    expect(res.status).toBe(200);
    expect(res.body.user).toEqual((await client.get("/auth/me")).body);
    expect(res.body.user).toMatchObject({ id: userId, twoFactorEnabled: false });
    expect(setCookies(res).filter((c) => /^(access|refresh)_token=/.test(c))).toEqual([]);
    expect((await env.db.session.findFirstOrThrow({ where: { userId } })).refreshGeneration).toBe(before.refreshGeneration);
  });

  test("access token expired, refresh token valid: refreshed here (rotated, new cookies), then /auth/me works", async () => {
    const { client, userId, email } = await registeredClient(env);
    env.clock.advance(ACCESS_TTL_SECONDS + 60);
    expect((await client.get("/auth/me")).status).toBe(401);
    const oldRefresh = client.cookie("refresh_token");
    const res = await client.get("/auth/session");
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: userId, email });
    expect(readCookie(res.headers["set-cookie"], "access_token")).toBeTruthy();
    expect(client.cookie("refresh_token")).not.toBe(oldRefresh);
    expect((await env.db.session.findFirstOrThrow({ where: { userId } })).refreshGeneration).toBe(1);
    expect((await client.get("/auth/me")).status).toBe(200);
  });

  test("only the refresh cookie (the access cookie is gone): refreshed as well", async () => {
    const { client, userId } = await registeredClient(env);
    const returning = withRefreshOnly(client);
    const res = await returning.get("/auth/session");
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(userId);
    expect((await returning.get("/auth/me")).status).toBe(200);
  });

  test("a replayed refresh token is reuse: 200 {user: null}, the session is ended and audited, the cookies cleared", async () => {
    const { client, userId } = await registeredClient(env);
    const thief = withRefreshOnly(client); // copied before the owner's next refresh
    expect((await client.post("/auth/refresh")).status).toBe(200);
    env.clock.advance(11); // past the 10-s grace
    const res = await thief.get("/auth/session");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: null });
    expect(setCookies(res).some((c) => /^refresh_token=;/.test(c))).toBe(true);
    expect(await env.db.auditEvent.count({ where: { userId, type: "REFRESH_TOKEN_REUSE" } })).toBe(1);
    expect((await env.db.session.findFirstOrThrow({ where: { userId } })).revokedAt).not.toBeNull();
    expect((await client.get("/auth/me")).status).toBe(401); // the owner is out too, as with POST /auth/refresh
  });

  test("two tabs loading at once with only the refresh cookie both get the user (the 10-s grace)", async () => {
    const { client, userId } = await registeredClient(env);
    const tab1 = withRefreshOnly(client);
    const tab2 = copyBrowser(tab1, env.app, client.ip);
    const [a, b] = await Promise.all([tab1.get("/auth/session"), tab2.get("/auth/session")]);
    expect([a.body.user?.id, b.body.user?.id]).toEqual([userId, userId]);
  });

  test("a signed-out session's leftover cookies: 200 {user: null} and the cookies are cleared", async () => {
    const { client } = await registeredClient(env);
    const leftover = copyBrowser(client, env.app, client.ip);
    expect((await client.post("/auth/logout")).status).toBe(200);
    const res = await leftover.get("/auth/session");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: null });
    expect(setCookies(res).some((c) => /^access_token=;/.test(c))).toBe(true);
    expect(leftover.cookie("access_token")).toBeUndefined();
  });
});
