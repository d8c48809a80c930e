// OpenAPI docs of password.routes.ts (/auth/password/*). Request schemas: account.schemas.ts.
import { z } from "zod";
import { MessageResponse, PublicUser, named, type RouteDoc } from "../http/openapi";
import { changePasswordSchema, checkResetLinkSchema, forgotPasswordSchema, resetPasswordSchema } from "./account.schemas";

export const passwordDocs: RouteDoc[] = [
  {
    method: "post",
    path: "/auth/password/change",
    tag: "account",
    summary: "Change the password",
    description: "The current password AND, when 2FA is on, a second factor. Every other session and remembered device ends; this one is re-issued.",
    auth: "access",
    body: changePasswordSchema,
    responses: {
      200: {
        description: "changed",
        schema: named("PasswordChangedResponse", z.object({ message: z.string(), user: PublicUser })),
        setsCookies: ["access_token", "refresh_token", "XSRF-TOKEN"],
      },
    },
    errors: ["INVALID_PASSWORD", "INVALID_CODE", "PASSKEY_FAILED", "TOO_MANY_ATTEMPTS", "TOO_MANY_REQUESTS"],
  },
  {
    method: "post",
    path: "/auth/password/forgot",
    tag: "account",
    summary: "Email a password reset link",
    description: "The same answer whether or not the address has an account; past the per-address limit nothing is sent (same answer).",
    auth: "none",
    body: forgotPasswordSchema,
    responses: { 202: { description: "accepted", schema: MessageResponse } },
    errors: ["TOO_MANY_REQUESTS"],
  },
  {
    method: "post",
    path: "/auth/password/reset/check",
    tag: "account",
    summary: "Check a reset link before asking for the new password",
    auth: "none",
    body: checkResetLinkSchema,
    responses: { 200: { description: "the link works; for this account", schema: named("ResetLinkResponse", z.object({ email: z.string() })) } },
    errors: ["RESET_LINK_INVALID", "RESET_LINK_USED", "RESET_LINK_EXPIRED", "TOO_MANY_REQUESTS"],
  },
  {
    method: "post",
    path: "/auth/password/reset",
    tag: "account",
    summary: "Set a new password with a reset link",
    description: "Every session of the account ends (2FA stays on).",
    auth: "none",
    body: resetPasswordSchema,
    responses: { 200: { description: "reset: log in with the new password", schema: MessageResponse } },
    errors: ["RESET_LINK_INVALID", "RESET_LINK_USED", "RESET_LINK_EXPIRED", "TOO_MANY_REQUESTS"],
  },
];
