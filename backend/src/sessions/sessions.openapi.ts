// OpenAPI docs of sessions.routes.ts: refresh, logout, the sessions list, remembered devices.
import { z } from "zod";
import { MessageResponse, UserResponse, isoTime, named, type RouteDoc } from "../http/openapi";

const SESSION_COOKIES = ["access_token", "refresh_token", "XSRF-TOKEN"];

export const AuthMethod = named(
  "AuthMethod",
  z.enum(["password", "totp", "backup_code", "trusted_device", "passkey"]),
  "how a session's login was verified (also detail.method of LOGIN_SUCCESS events)",
);

export const ActiveSession = named(
  "ActiveSession",
  z.object({
    id: z.string(),
    current: z.boolean().meta({ description: "the session of this browser" }),
    createdAt: isoTime(),
    lastSeenAt: isoTime(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    device: z.string().meta({ description: '"Chrome on Linux", "Unknown device"' }),
    authMethod: AuthMethod,
  }),
);

export const TrustedDevice = named(
  "TrustedDevice",
  z.object({
    id: z.string(),
    current: z.boolean().meta({ description: "this browser holds the device's cookie" }),
    createdAt: isoTime(),
    lastUsedAt: isoTime().nullable(),
    expiresAt: isoTime(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    device: z.string(),
  }),
  'a browser that skips the code step ("Remember this device for 30 days")',
);

export const sessionDocs: RouteDoc[] = [
  {
    method: "post",
    path: "/auth/refresh",
    tag: "sessions",
    summary: "Rotate the refresh token, get a fresh access token",
    description: "A refresh token one generation old within 10 s still works (two tabs racing); any older one is reuse: the session is revoked, 401 SESSION_REVOKED.",
    auth: "refresh",
    responses: { 200: { description: "new tokens", schema: UserResponse, setsCookies: SESSION_COOKIES } },
    errors: ["UNAUTHENTICATED", "SESSION_REVOKED"],
  },
  {
    method: "post",
    path: "/auth/logout",
    tag: "sessions",
    summary: "End this session",
    description: "Works with an expired access token (the refresh token names the session too) and without any. The remembered-device cookie stays.",
    auth: "optional",
    responses: { 200: { description: "logged out, session cookies cleared", schema: MessageResponse } },
    errors: [],
  },
  {
    method: "post",
    path: "/auth/logout-all",
    tag: "sessions",
    summary: "End every session and forget every remembered device",
    auth: "access",
    responses: { 200: { description: "logged out everywhere", schema: MessageResponse } },
    errors: [],
  },
  {
    method: "get",
    path: "/auth/sessions",
    tag: "sessions",
    summary: "The live sessions of the user",
    auth: "access",
    responses: { 200: { description: "newest activity first", schema: named("SessionsResponse", z.object({ sessions: z.array(ActiveSession) })) } },
    errors: [],
  },
  {
    method: "delete",
    path: "/auth/sessions/:id",
    tag: "sessions",
    summary: "End one session (its own id = logout)",
    auth: "access",
    params: { id: "a session id from GET /auth/sessions" },
    responses: { 204: { description: "ended at once" } },
    errors: ["NOT_FOUND"],
  },
  {
    method: "post",
    path: "/auth/sessions/revoke-others",
    tag: "sessions",
    summary: "End every other session",
    auth: "access",
    responses: { 200: { description: "how many ended", schema: named("RevokeOthersResponse", z.object({ revoked: z.number().int() })) } },
    errors: [],
  },
  {
    method: "get",
    path: "/auth/trusted-devices",
    tag: "sessions",
    summary: "The remembered devices of the user",
    auth: "access",
    responses: { 200: { description: "newest first", schema: named("TrustedDevicesResponse", z.object({ devices: z.array(TrustedDevice) })) } },
    errors: [],
  },
  {
    method: "delete",
    path: "/auth/trusted-devices/:id",
    tag: "sessions",
    summary: "Forget one remembered device",
    auth: "access",
    params: { id: "a device id from GET /auth/trusted-devices" },
    responses: { 204: { description: "forgotten: that browser asks for a code again" } },
    errors: ["NOT_FOUND"],
  },
];
