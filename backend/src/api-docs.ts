// GET /openapi.json (the API's OpenAPI 3.1 document) and GET /api-docs (Swagger UI). The document
// is assembled from the route docs beside each router (*.openapi.ts) by http/openapi.ts; a new
// router adds its docs to ROUTE_DOCS below (test/openapi.test.ts fails on an undocumented route).
// Swagger UI's files come from swagger-ui-dist in node_modules: no CDN (these machines have no
// internet, and the API reference must not load third-party scripts anyway).
import type { Express, RequestHandler } from "express";
import helmet from "helmet";
import swaggerUi from "swagger-ui-express";
import { z } from "zod";
import { passwordDocs } from "./account/password.openapi";
import { adminDocs } from "./admin/admin.openapi";
import { authDocs } from "./auth/auth.openapi";
import { buildOpenApiDocument, named, type OpenApiDocument, type RouteDoc } from "./http/openapi";
import { securityEventDocs } from "./security/security-events.openapi";
import { sessionDocs } from "./sessions/sessions.openapi";
import { twoFactorDocs } from "./two-factor/two-factor.openapi";
import { passkeyDocs } from "./two-factor/passkey/passkey.openapi";

export const OPENAPI_PATH = "/openapi.json";
export const API_DOCS_PATH = "/api-docs";

const systemDocs: RouteDoc[] = [
  {
    method: "get",
    path: "/healthz",
    tag: "system",
    summary: "Liveness and database check",
    auth: "none",
    responses: {
      200: { description: "up", schema: named("Health", z.object({ status: z.literal("ok"), db: z.literal("ok") })) },
    },
    errors: ["SERVICE_UNAVAILABLE"],
  },
  {
    method: "get",
    path: "/readyz",
    tag: "system",
    summary: "Readiness: the database answers and every migration of this build is applied",
    auth: "none",
    responses: {
      200: { description: "ready", schema: named("Readiness", z.object({ status: z.literal("ready"), db: z.literal("ok"), migrations: z.literal("ok") })) },
    },
    errors: ["SERVICE_UNAVAILABLE"],
  },
  {
    method: "get",
    path: "/metrics",
    tag: "system",
    summary: "Prometheus metrics (only with METRICS_TOKEN set, sent as `Authorization: Bearer <token>`; else 404)",
    auth: "none",
    produces: "text/plain",
    responses: { 200: { description: "the Prometheus text format", schema: z.string() } },
    errors: ["UNAUTHENTICATED", "NOT_FOUND", "SERVICE_UNAVAILABLE"],
  },
  {
    method: "get",
    path: OPENAPI_PATH,
    tag: "system",
    summary: "This document (OpenAPI 3.1)",
    auth: "none",
    responses: { 200: { description: "the document", schema: z.object({ openapi: z.string() }).loose() } },
    errors: [],
  },
  {
    method: "get",
    path: API_DOCS_PATH,
    tag: "system",
    summary: "The API reference page (Swagger UI of this document)",
    auth: "none",
    produces: "text/html",
    responses: { 200: { description: "an HTML page", schema: z.string() } },
    errors: [],
  },
];

/** Every documented route: each router's docs, then the app's own. */
export const ROUTE_DOCS: RouteDoc[] = [...authDocs, ...twoFactorDocs, ...passkeyDocs, ...sessionDocs, ...securityEventDocs, ...passwordDocs, ...adminDocs, ...systemDocs];

const INFO = {
  title: "TwoFA API",
  version: "0.1.0",
  description:
    "TOTP and passkey two-factor authentication. JSON in, JSON out; errors are `{message, code, ...}` with `code` from the catalogue in " +
    "@twofa/contract (each operation lists its codes in `x-error-codes`). Credentials are HttpOnly cookies; every POST/PUT/PATCH/DELETE " +
    "echoes the XSRF-TOKEN cookie in X-XSRF-TOKEN. Every /auth answer is Cache-Control: no-store.",
};

let cached: OpenApiDocument | undefined;
/** The document (built once: the routes do not change while the process runs). */
export function openApiDocument(): OpenApiDocument {
  cached ??= buildOpenApiDocument(ROUTE_DOCS, INFO);
  return cached;
}

/**
 * The page's CSP: Swagger UI's scripts and styles from this origin only (its HTML has inline
 * <style> blocks, hence 'unsafe-inline' for styles — never for scripts), its icons as data: URLs,
 * the document fetched from this origin; no framing. The API's strict set (default-src 'none')
 * stays on everything else.
 */
export function apiDocsHeaders(production: boolean): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'none'"],
      },
    },
    strictTransportSecurity: production,
  });
}

/** Mounts GET /openapi.json and the Swagger UI page with its files under /api-docs. */
export function mountApiDocs(app: Express): void {
  app.get(OPENAPI_PATH, (_req, res) => {
    res.json(openApiDocument());
  });
  // swagger-ui-express writes the page and its init script (which fetches /openapi.json: the
  // document is not inlined, so the page stays small and always matches the endpoint)
  const page = swaggerUi.setup(undefined, {
    customSiteTitle: INFO.title,
    swaggerOptions: { url: OPENAPI_PATH, validatorUrl: null, withCredentials: true },
  });
  // its relative asset URLs (./swagger-ui.css) need the trailing slash
  app.get(API_DOCS_PATH, (req, res, next) => (req.originalUrl.split("?")[0].endsWith("/") ? page(req, res, next) : res.redirect(301, `${API_DOCS_PATH}/`)));
  app.use(API_DOCS_PATH, swaggerUi.serve);
}
