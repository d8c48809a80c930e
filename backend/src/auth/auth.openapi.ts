// OpenAPI docs of auth.routes.ts (and GET /auth/csrf, mounted in app.ts): what each route takes,
// answers and refuses. The request schemas are the ones the routes parse with.
import { z } from "zod";
import { PublicUser, UserResponse, isoTime, named, type RouteDoc } from "../http/openapi";
import { loginSchema, registerSchema } from "./auth.schemas";

const SESSION_COOKIES = ["access_token", "refresh_token", "XSRF-TOKEN"];

/** Which second factors the code step accepts for this account (ISSUE 13). */
export const LoginMethod = named("LoginMethod", z.enum(["totp", "passkey", "backup_code"]));

export const TwoFactorRequirement = named(
  "TwoFactorRequirement",
  z.object({
    reason: z.enum(["role", "admin_reset"]),
    deadline: isoTime("after it only the 2FA setup works; null: already").nullable(),
    blocked: z.boolean().meta({ description: "only the 2FA setup works now" }),
  }),
  "TWOFA_REQUIRED_ROLES / TWOFA_GRACE_HOURS, or an admin reset: 2FA must be set up",
);

export const MeResponse = named(
  "Me",
  PublicUser.extend({ twoFactorRequirement: TwoFactorRequirement.nullable() }),
  "the signed-in user, with what is asked of them",
);

export const LoginResponse = named(
  "LoginResponse",
  z.union([
    z.object({ user: PublicUser }),
    z.object({ requires2FA: z.literal(true), methods: z.array(LoginMethod) }),
  ]),
  "a session ({user}, cookies set), or the second step ({requires2FA, methods}, twofa_token set)",
);

export const authDocs: RouteDoc[] = [
  {
    method: "post",
    path: "/auth/register",
    tag: "auth",
    summary: "Create an account and sign in",
    description: "The password rule is @twofa/password-policy (≥ 12 characters, not guessable, not the email). Rate limited per IP.",
    auth: "none",
    body: registerSchema,
    responses: { 201: { description: "the account, signed in", schema: UserResponse, setsCookies: [...SESSION_COOKIES, "device"] } },
    errors: ["EMAIL_TAKEN", "TOO_MANY_REQUESTS"],
  },
  {
    method: "post",
    path: "/auth/login",
    tag: "auth",
    summary: "Password step of the login",
    description:
      "Without 2FA (or on a remembered device): a session. With 2FA: `{requires2FA: true, methods}` and the twofa_token cookie for POST /auth/2fa/verify-login. " +
      "An unknown email and a wrong password answer alike (same timing). " +
      "Wrong passwords are limited per email (RATE_LIMIT_EMAIL_FAILURES per 15 min, counted in the database; then 429 TOO_MANY_REQUESTS with Retry-After, " +
      "even for the right password, alike for unknown emails, no header telling what is left) — except for a browser holding a device cookie " +
      "(`device`, left by every sign-in) of this account: it spends the cookie's own budget of 5 wrong passwords instead, then the cookie no longer counts. " +
      "A remembered device (`trusted_device`) skips the code step but lifts no limit.",
    auth: "none",
    body: loginSchema,
    responses: { 200: { description: "signed in, or the second step", schema: LoginResponse, setsCookies: [...SESSION_COOKIES, "device", "twofa_token", "trusted_device"] } },
    errors: ["INVALID_CREDENTIALS", "TOO_MANY_REQUESTS"],
  },
  {
    method: "get",
    path: "/auth/me",
    tag: "auth",
    summary: "The signed-in user",
    auth: "setup",
    responses: { 200: { description: "the user and whether 2FA must be set up", schema: MeResponse } },
    errors: [],
  },
  {
    method: "get",
    path: "/auth/session",
    tag: "auth",
    summary: "Who is signed in in this browser (never 401)",
    description: "The SPA's start-up call: refreshes a returning browser's session when its access token expired; `{user: null}` when nobody is signed in.",
    auth: "optional",
    responses: {
      200: {
        description: "the user, or null (twoFactorRequirement is absent when the session was just refreshed)",
        schema: named("SessionResponse", z.object({ user: PublicUser.extend({ twoFactorRequirement: TwoFactorRequirement.nullable().optional() }).nullable() })),
        setsCookies: SESSION_COOKIES,
      },
    },
    errors: [],
  },
  {
    method: "get",
    path: "/auth/csrf",
    tag: "auth",
    summary: "Issue the XSRF-TOKEN cookie",
    description: "Any GET issues it; echo it in X-XSRF-TOKEN on every state-changing request.",
    auth: "none",
    responses: { 204: { description: "cookie set", setsCookies: ["XSRF-TOKEN"] } },
    errors: [],
  },
];
