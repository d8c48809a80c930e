// The API's OpenAPI 3.1 document, built from the zod schemas that validate the requests. Each
// router documents its routes beside it (auth/auth.openapi.ts, two-factor/two-factor.openapi.ts,
// ...) as `RouteDoc`s; this module turns them into the document. zod 4 writes JSON Schema
// 2020-12 itself (z.toJSONSchema), which is what OpenAPI 3.1 uses, so no converter library is
// needed (@asteasolutions/zod-to-openapi 8 throws on the z.undefined() our unions use).
//
// The document is deterministic (no host, no config): contract/openapi.json is generated from it
// and committed, and so is the SPA's openapi.gen.ts (`npm run contract`; a test fails when stale).
import { ERROR_CODES, type ErrorCode } from "@twofa/contract";
import { z } from "zod";

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

/**
 * What authenticates a route:
 *  none      no credential (register, login, csrf, password reset by link)
 *  access    the access_token cookie of a session with 2FA set up when it is required
 *  setup     the access_token cookie, also while a required 2FA is not set up yet (§6.9)
 *  admin     the access_token cookie of an ADMIN with 2FA on
 *  optional  an access or refresh token if there is one (GET /auth/session, POST /auth/logout)
 *  refresh   the refresh_token cookie (Path /auth)
 *  twofa     the twofa_token cookie of a login half-way (Path /auth/2fa)
 */
export type RouteAuth = "none" | "access" | "setup" | "admin" | "optional" | "refresh" | "twofa";

export interface RouteResponse {
  description: string;
  /** the JSON body; none for 204 */
  schema?: z.ZodType;
  /** cookies set or cleared (words for the reader) */
  setsCookies?: string[];
}

export interface RouteDoc {
  method: HttpMethod;
  /** Express syntax, as mounted: /auth/sessions/:id */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  auth: RouteAuth;
  /** the JSON body's zod schema (the one parseBody uses) */
  body?: z.ZodType;
  /** the query's zod schema (the one parseQuery uses) */
  query?: z.ZodObject;
  /** words for each :param (a path parameter is always a string) */
  params?: Record<string, string>;
  /** success answers by status */
  responses: Record<number, RouteResponse>;
  /**
   * The error codes this route itself can answer. Added for every route as they apply: the
   * authentication's (UNAUTHENTICATED, SESSION_REVOKED, TWOFA_SETUP_REQUIRED, FORBIDDEN), the
   * CSRF check's (any non-GET), the body parser's and validation's, INTERNAL_ERROR.
   */
  errors: ErrorCode[];
  /** not a JSON answer (the API reference page): the success answer's media type */
  produces?: string;
}

/** Names a schema: it becomes components.schemas[id] and is referenced, not repeated. */
export const named = <S extends z.ZodType>(id: string, schema: S, description?: string): S => schema.meta({ id, ...(description ? { description } : {}) });

/** An ISO 8601 time as the API writes it (Date → JSON). */
export const isoTime = (description?: string) => z.string().meta({ format: "date-time", ...(description ? { description } : {}) });

/** `{message}` answers. */
export const MessageResponse = named("MessageResponse", z.object({ message: z.string() }));

/** The user as every answer shows it (auth/session.ts publicUser). */
export const PublicUser = named(
  "User",
  z.object({
    id: z.string(),
    email: z.string(),
    role: z.enum(["USER", "ADMIN"]),
    twoFactorEnabled: z.boolean().meta({ description: "at least one second factor (authenticator app or passkey) is set up" }),
  }),
);

export const UserResponse = named("UserResponse", z.object({ user: PublicUser }));

const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as ErrorCode[];

/** Every error body: `{message, code, ...extra}` (http/errors.ts AppError.toJSON). */
export const ErrorBody = named(
  "Error",
  z
    .object({
      message: z.string().meta({ description: "words for a person (ERROR_CODES in @twofa/contract)" }),
      code: z.enum(ERROR_CODE_LIST as [ErrorCode, ...ErrorCode[]]),
      attemptsRemaining: z.number().int().optional().meta({ description: "wrong codes or passwords left before 429 TOO_MANY_ATTEMPTS" }),
      retryAfterSeconds: z.number().int().optional().meta({ description: "429: seconds to wait (also the Retry-After header)" }),
      reason: z
        .string()
        .optional()
        .meta({ description: "INVALID_CODE: replay | clock_drift | backup_code_used; PASSKEY_FAILED: user_verification | counter_rollback | unknown_credential | challenge" }),
      driftSeconds: z.number().optional().meta({ description: "INVALID_CODE reason clock_drift: signed offset of the authenticator's clock" }),
      retryInSeconds: z.number().int().optional().meta({ description: "INVALID_CODE reason replay: seconds until the authenticator shows a newer code" }),
      fields: z.array(z.object({ field: z.string(), message: z.string() })).optional().meta({ description: "VALIDATION_FAILED: what was wrong" }),
    })
    .loose(),
);

const AUTH_ERRORS: Record<RouteAuth, ErrorCode[]> = {
  none: [],
  optional: [],
  twofa: [],
  refresh: [],
  setup: ["UNAUTHENTICATED", "SESSION_REVOKED"],
  access: ["UNAUTHENTICATED", "SESSION_REVOKED", "TWOFA_SETUP_REQUIRED"],
  admin: ["UNAUTHENTICATED", "SESSION_REVOKED", "TWOFA_SETUP_REQUIRED", "FORBIDDEN"],
};

const SECURITY: Record<RouteAuth, Record<string, string[]>[] | undefined> = {
  none: undefined,
  optional: [{}, { accessToken: [] }, { refreshToken: [] }],
  access: [{ accessToken: [] }],
  setup: [{ accessToken: [] }],
  admin: [{ accessToken: [] }],
  refresh: [{ refreshToken: [] }],
  twofa: [{ twofaToken: [] }],
};

/** Every error code a route can answer, in catalogue order: its own and the ones its kind adds. */
export function errorCodesOf(route: RouteDoc): ErrorCode[] {
  const codes = new Set<ErrorCode>([...route.errors, ...AUTH_ERRORS[route.auth]]);
  if (route.method !== "get") codes.add("CSRF_FAILED");
  if (route.body) ["VALIDATION_FAILED", "MALFORMED_JSON", "MALFORMED_BODY", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "UNSUPPORTED_CONTENT_ENCODING"].forEach((c) => codes.add(c as ErrorCode));
  if (route.query || route.params) codes.add("VALIDATION_FAILED");
  codes.add("INTERNAL_ERROR");
  return ERROR_CODE_LIST.filter((c) => codes.has(c));
}

type JsonSchema = Record<string, unknown>;

/**
 * zod → JSON Schema 2020-12. Requests are described as the client sends them (io "input": before
 * transforms and defaults), answers as the server writes them. `z.undefined()` ("never together
 * with the other field") becomes `not: {}`. Named schemas go to `defs`.
 */
function toSchema(schema: z.ZodType, io: "input" | "output", defs: Record<string, JsonSchema>): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io,
    unrepresentable: "any",
    override: (ctx) => {
      const def = (ctx.zodSchema as { _zod: { def: { type: string } } })._zod.def;
      if (def.type === "undefined") {
        for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as JsonSchema)[key];
        (ctx.jsonSchema as JsonSchema).not = {};
      }
    },
  }) as JsonSchema;
  delete json.$schema;
  const local = (json.$defs ?? {}) as Record<string, JsonSchema>;
  delete json.$defs;
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (!value || typeof value !== "object") return value;
    const out: JsonSchema = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === "$ref" && typeof v === "string" ? v.replace(/^#\/\$defs\//, "#/components/schemas/") : rewrite(v);
    }
    return out;
  };
  for (const [id, def] of Object.entries(local)) {
    // zod names an input variant "X" too when the output differs; keep requests and answers apart
    const body = rewrite(def) as JsonSchema;
    if (defs[id] && JSON.stringify(defs[id]) !== JSON.stringify(body)) {
      throw new Error(`OpenAPI: two different schemas are named ${id}`);
    }
    defs[id] = body;
  }
  return rewrite(json) as JsonSchema;
}

/** /auth/sessions/:id → /auth/sessions/{id} */
export const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

const json = (schema: JsonSchema) => ({ "application/json": { schema } });

export interface DocumentInfo {
  title: string;
  version: string;
  description: string;
}

/** The OpenAPI 3.1 document of `routes` (sorted by path and method, so the output is stable). */
export function buildOpenApiDocument(routes: RouteDoc[], info: DocumentInfo) {
  const defs: Record<string, JsonSchema> = {};
  toSchema(ErrorBody, "output", defs);
  const paths: Record<string, Record<string, unknown>> = {};
  const seen = new Set<string>();
  const sorted = [...routes].sort((a, b) => (a.path === b.path ? a.method.localeCompare(b.method) : a.path.localeCompare(b.path)));
  for (const route of sorted) {
    const key = `${route.method.toUpperCase()} ${route.path}`;
    if (seen.has(key)) throw new Error(`OpenAPI: ${key} is documented twice`);
    seen.add(key);
    const codes = errorCodesOf(route);
    const parameters: unknown[] = [];
    for (const name of [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1])) {
      parameters.push({ name, in: "path", required: true, description: route.params?.[name], schema: { type: "string" } });
    }
    if (route.query) {
      const q = toSchema(route.query, "input", defs) as { properties?: Record<string, JsonSchema>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {})) {
        const { description, ...rest } = schema as JsonSchema & { description?: string };
        parameters.push({ name, in: "query", required: (q.required ?? []).includes(name) && !("default" in rest), ...(description ? { description } : {}), schema: rest });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(route.responses)) {
      const description = r.setsCookies?.length ? `${r.description} (cookies: ${r.setsCookies.join(", ")})` : r.description;
      const content = r.schema ? (route.produces ? { [route.produces]: { schema: toSchema(r.schema, "output", defs) } } : json(toSchema(r.schema, "output", defs))) : undefined;
      responses[status] = { description, ...(content ? { content } : {}) };
    }
    const byStatus = new Map<number, ErrorCode[]>();
    for (const code of codes) byStatus.set(ERROR_CODES[code].status, [...(byStatus.get(ERROR_CODES[code].status) ?? []), code]);
    for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
      responses[String(status)] = {
        description: list.map((c) => `${c}: ${ERROR_CODES[c].message}`).join("; "),
        ...(status === 429 ? { headers: { "Retry-After": { description: "seconds to wait", schema: { type: "integer" } } } } : {}),
        content: json({ allOf: [{ $ref: "#/components/schemas/Error" }, { type: "object", properties: { code: { enum: list } } }] }),
      };
    }
    const operation: Record<string, unknown> = {
      operationId: operationId(route),
      tags: [route.tag],
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: json(toSchema(route.body, "input", defs)) } } : {}),
      responses,
      "x-error-codes": codes,
    };
    const security = SECURITY[route.auth];
    const csrf = route.method !== "get";
    if (security || csrf) {
      operation.security = (security ?? [{}]).map((s) => (csrf ? { ...s, csrfHeader: [] } : s));
    }
    (paths[toOpenApiPath(route.path)] ??= {})[route.method] = operation;
  }
  return {
    openapi: "3.1.0",
    info,
    tags: [...new Set(sorted.map((r) => r.tag))].sort().map((name) => ({ name })),
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(defs).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: {
        accessToken: { type: "apiKey", in: "cookie", name: "access_token", description: "JWT of a session (15 min), Path /" },
        refreshToken: { type: "apiKey", in: "cookie", name: "refresh_token", description: "rotating refresh JWT (7 days), Path /auth" },
        twofaToken: { type: "apiKey", in: "cookie", name: "twofa_token", description: "a login half-way: password given, second factor pending (5 min), Path /auth/2fa" },
        csrfHeader: {
          type: "apiKey",
          in: "header",
          name: "X-XSRF-TOKEN",
          description: "double-submit CSRF: echo the XSRF-TOKEN cookie (any GET, e.g. GET /auth/csrf, sets it) on every POST/PUT/PATCH/DELETE; otherwise 403 CSRF_FAILED",
        },
      },
    },
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;

/** postAuth2faVerifyLogin, deleteAuthSessionsById: stable names for generated clients. */
function operationId(route: RouteDoc): string {
  const words = route.path
    .split("/")
    .filter(Boolean)
    .map((part) => (part.startsWith(":") ? `by-${part.slice(1)}` : part))
    .flatMap((part) => part.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return route.method + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("");
}
