// Production settings (issue 18 finding 8): APP_URL must be the public https address, the API
// document and page are served only on request, and no install-time telemetry phones home.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import request from "supertest";
import { ConfigError, loadConfig, REPO_ROOT } from "../src/config";
import { PRODUCTION_ENV, startTestApp, TEST_ENV, type TestEnv } from "./harness";

const load = (env: Record<string, string | undefined>) => loadConfig(env as NodeJS.ProcessEnv, "/nonexistent");
const refusal = (env: Record<string, string | undefined>) => {
  try {
    load(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error("the configuration was accepted");
};

describe("APP_URL in production", () => {
  test("the complete production configuration boots", () => {
    expect(load(PRODUCTION_ENV).appUrl).toBe("https://auth.example.com");
  });

  test("missing: refused, naming APP_URL", () => {
    expect(refusal({ ...PRODUCTION_ENV, APP_URL: undefined })).toMatch(/APP_URL is required in production/);
  });

  test.each(["http://localhost:3000", "https://localhost", "https://127.0.0.1:8443", "https://app.localhost", "http://auth.example.com"])("%s: refused", (url) => {
    expect(refusal({ ...PRODUCTION_ENV, APP_URL: url })).toContain(`APP_URL must be the public https address of the app, not ${url}`);
  });

  test("in development it follows PORT, so email links reach the port the app listens on", () => {
    expect(load({ ...TEST_ENV, NODE_ENV: "development", PORT: "3300" }).appUrl).toBe("http://localhost:3300");
    expect(load({ ...TEST_ENV, NODE_ENV: "development", PORT: "3300", APP_URL: "http://localhost:4200/" }).appUrl).toBe("http://localhost:4200");
  });
});

describe("the API document and page: only with API_DOCS=true in production", () => {
  const apps: TestEnv[] = [];
  afterAll(() => Promise.all(apps.map((a) => a.close())));
  const appWith = async (env: Record<string, string>) => {
    const app = await startTestApp({ env });
    apps.push(app);
    return app.app;
  };
  const served = async (env: Record<string, string>) => {
    const app = await appWith(env);
    const doc = await request(app).get("/openapi.json");
    const page = await request(app).get("/api-docs/").set("Accept", "text/html");
    return [doc.status, page.status];
  };

  test("production: not served (404 NOT_FOUND, not the SPA)", async () => {
    const app = await appWith(PRODUCTION_ENV);
    const doc = await request(app).get("/openapi.json").set("Accept", "text/html,application/json");
    expect([doc.status, doc.body.code]).toEqual([404, "NOT_FOUND"]);
    expect((await request(app).get("/api-docs/").set("Accept", "text/html")).status).toBe(404);
  });
  test("production with API_DOCS=true: served", async () => {
    expect(await served({ ...PRODUCTION_ENV, API_DOCS: "true" })).toEqual([200, 200]);
  });
  test("development and tests: served unless API_DOCS=false", async () => {
    expect(await served({})).toEqual([200, 200]);
    expect(await served({ API_DOCS: "false" })).toEqual([404, 404]);
  });
});

describe("install-time telemetry (@scarf/scarf, a dependency of swagger-ui-dist)", () => {
  test("is off: its postinstall, run as npm runs it with the network cut, stops before sending anything", () => {
    const ls = spawnSync("npm", ["ls", "@scarf/scarf", "--parseable"], { cwd: REPO_ROOT, encoding: "utf8" });
    if (!ls.stdout.trim()) return; // not in the tree at all: nothing can phone home
    const run = spawnSync(process.execPath, [path.join(__dirname, "support/scarf-report.js"), REPO_ROOT], { encoding: "utf8", timeout: 60_000 });
    expect(run.stdout).not.toContain("NETWORK");
    // root package.json: "scarfSettings": {"enabled": false}
    expect(run.stdout.trim()).toBe("STOPPED: Scarf has been disabled via a package.json in the dependency chain.");
  }, 90_000);
});

test("the SPA is served from an install folder below a dot-folder (the CI image in .data/image, ~/.local/...)", async () => {
  const dist = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "twofa-")), ".data", "image", "frontend", "dist", "browser");
  fs.mkdirSync(dist, { recursive: true });
  fs.writeFileSync(path.join(dist, "index.html"), "<!doctype html><title>TwoFA</title>");
  const env = await startTestApp({ env: { FRONTEND_DIST: dist } });
  const res = await request(env.app).get("/login").set("Accept", "text/html");
  expect([res.status, res.text]).toEqual([200, "<!doctype html><title>TwoFA</title>"]);
  await env.close();
});
