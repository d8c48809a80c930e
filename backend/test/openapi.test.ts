// The API contract: GET /openapi.json documents every route the app serves (walked from Express's
// own router stack, so a new route without docs fails here), the document is valid OpenAPI 3.1,
// the committed contract/openapi.json and the SPA's openapi.gen.ts are what `npm run contract`
// writes today, and /api-docs serves Swagger UI from node_modules under its own CSP while the
// API keeps its strict headers.
import { validate } from "@readme/openapi-parser";
import type { Express } from "express";
import request from "supertest";
import { ERROR_CODES } from "@twofa/contract";
import { ROUTE_DOCS, openApiDocument } from "../src/api-docs";
import { errorCodesOf, toOpenApiPath } from "../src/http/openapi";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../src/config";
import { startTestApp, type TestEnv } from "./harness";

interface Layer {
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: unknown;
}

/** "GET /auth/sessions/{id}" for every route of the app (mounted routers included). */
export function routesOf(app: Express): string[] {
  const found = new Set<string>();
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        // a RegExp route is the SPA's index.html fallback (only when the SPA is built): not API
        if (typeof layer.route.path !== "string") continue;
        for (const method of Object.keys(layer.route.methods)) {
          if (method === "_all") continue;
          found.add(`${method.toUpperCase()} ${toOpenApiPath(prefix + layer.route.path)}`);
        }
      } else if (layer.handle?.stack && typeof layer.rawPath === "string") {
        walk(layer.handle.stack, prefix + (layer.rawPath === "/" ? "" : layer.rawPath));
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, "");
  return [...found].sort();
}

const documented = () => {
  const doc = openApiDocument();
  return Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
};

let env: TestEnv;
beforeAll(async () => {
  env = await startTestApp();
});
afterAll(() => env.close());

describe("the OpenAPI document", () => {
  test("documents exactly the routes the app serves (method + path), no more, no fewer", () => {
    const served = routesOf(env.app);
    expect(served.length).toBeGreaterThan(25);
    const docs = documented();
    expect({ undocumented: served.filter((r) => !docs.includes(r)), notServed: docs.filter((r) => !served.includes(r)) }).toEqual({
      undocumented: [],
      notServed: [],
    });
  });

  test("is a valid OpenAPI 3.1 document (@readme/openapi-parser)", async () => {
    const doc = JSON.parse(JSON.stringify(openApiDocument()));
    const result = await validate(doc);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(doc.openapi).toBe("3.1.0");
  });

  test("every route has a success answer, a summary and its error codes with their statuses", () => {
    for (const route of ROUTE_DOCS) {
      const op = (openApiDocument().paths as Record<string, Record<string, { responses: Record<string, unknown>; "x-error-codes": string[]; summary: string }>>)[
        toOpenApiPath(route.path)
      ][route.method];
      const statuses = Object.keys(op.responses).map(Number);
      expect([route.path, statuses.some((s) => s >= 200 && s < 300)]).toEqual([route.path, true]);
      expect(op.summary.length).toBeGreaterThan(5);
      expect(op["x-error-codes"]).toEqual(errorCodesOf(route));
      for (const code of errorCodesOf(route)) expect([route.path, code, statuses.includes(ERROR_CODES[code].status)]).toEqual([route.path, code, true]);
    }
  });

  test("adds the errors a route's kind implies: auth, CSRF on state changes, body validation", () => {
    const op = (method: string, path: string) => errorCodesOf(ROUTE_DOCS.find((r) => r.method === method && r.path === path)!);
    expect(op("get", "/auth/sessions")).toEqual(expect.arrayContaining(["UNAUTHENTICATED", "SESSION_REVOKED", "TWOFA_SETUP_REQUIRED"]));
    expect(op("get", "/auth/sessions")).not.toContain("CSRF_FAILED");
    expect(op("post", "/auth/2fa/verify-login")).toEqual(expect.arrayContaining(["INVALID_CODE", "SESSION_EXPIRED", "CSRF_FAILED", "VALIDATION_FAILED", "TOO_MANY_ATTEMPTS"]));
    expect(op("post", "/auth/2fa/verify-login")).not.toContain("UNAUTHENTICATED");
    expect(op("get", "/auth/admin/users")).toContain("FORBIDDEN");
  });

  test("the committed contract/openapi.json is the document the app serves (else: npm run contract)", () => {
    const committed = fs.readFileSync(path.join(REPO_ROOT, "contract/openapi.json"), "utf8");
    expect(committed).toBe(`${JSON.stringify(openApiDocument(), null, 2)}\n`);
  });

  // openapi-typescript loads ESM-only dependencies that jest's module system cannot: the check
  // runs where `npm run contract` runs (tsx), and fails when either generated file differs
  test("the SPA's openapi.gen.ts (and openapi.json) are what `npm run contract` writes today", async () => {
    const tsx = require.resolve("tsx/cli");
    const run = promisify(execFile)(process.execPath, [tsx, "scripts/contract.ts", "--check"], { cwd: path.join(REPO_ROOT, "backend") });
    await expect(run.then((r) => r.stdout)).resolves.toContain("contract: up to date");
  }, 60_000);
});

describe("GET /openapi.json and /api-docs", () => {
  test("/openapi.json serves the document with the API's strict headers", async () => {
    const res = await request(env.app).get("/openapi.json").expect(200);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    expect(res.headers["content-security-policy"]).toBe("default-src 'none';frame-ancestors 'none'");
  });

  test("/api-docs serves Swagger UI from node_modules (no CDN) under a CSP that allows only this origin", async () => {
    await request(env.app).get("/api-docs").expect(301).expect("Location", "/api-docs/");
    const page = await request(env.app).get("/api-docs/").expect(200).expect("Content-Type", /html/);
    expect(page.text).toContain("swagger-ui-bundle.js");
    // every script and stylesheet is relative (served here), none from another host
    const urls = [...page.text.matchAll(/(?:src|href)=["']([^"']+)["']/g)].map((m) => m[1]);
    expect(urls.filter((u) => /^(https?:)?\/\//.test(u))).toEqual([]);
    const csp = page.headers["content-security-policy"];
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*(unsafe-inline|unsafe-eval|https?:|\*)/);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");

    const init = await request(env.app).get("/api-docs/swagger-ui-init.js").expect(200).expect("Content-Type", /javascript/);
    expect(init.text).toContain('"/openapi.json"');
    const bundle = await request(env.app).get("/api-docs/swagger-ui-bundle.js").expect(200).expect("Content-Type", /javascript/);
    expect(bundle.text.length).toBeGreaterThan(100_000);
    await request(env.app).get("/api-docs/swagger-ui.css").expect(200).expect("Content-Type", /css/);
    await request(env.app).get("/api-docs/package.json").expect(404);
  });

  test("the API keeps its strict CSP (the docs page's does not leak onto /auth)", async () => {
    const res = await request(env.app).get("/auth/csrf").expect(204);
    expect(res.headers["content-security-policy"]).toBe("default-src 'none';frame-ancestors 'none'");
  });
});
