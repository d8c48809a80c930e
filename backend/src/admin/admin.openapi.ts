// OpenAPI docs of admin.routes.ts (/auth/admin/*: ADMINs with 2FA on).
import { z } from "zod";
import { MessageResponse, isoTime, named, type RouteDoc } from "../http/openapi";
import { listQuery, resetTwoFactorSchema, unlockSchema } from "./admin.routes";

export const AdminUser = named(
  "AdminUser",
  z.object({
    id: z.string(),
    email: z.string(),
    role: z.enum(["USER", "ADMIN"]),
    createdAt: isoTime(),
    twoFactorEnabled: z.boolean(),
    twoFactorSetupRequired: z.boolean().meta({ description: "an admin reset it: setup is required at the next sign-in" }),
    backupCodesRemaining: z.number().int(),
    rememberedDevices: z.number().int(),
    lastSignInAt: isoTime().nullable(),
    lockedUntil: isoTime("code entry locked by wrong codes until then").nullable(),
    locked: z.boolean().meta({ description: "code entry is locked" }),
    loginLockedUntil: isoTime("password sign-in from browsers without a device cookie locked by wrong passwords until then").nullable(),
    loginLocked: z.boolean().meta({ description: "password sign-in is locked (DESIGN §6 rule 18)" }),
  }),
);

const ACTION_ERRORS = ["NOT_FOUND", "VALIDATION_FAILED", "REAUTH_REQUIRED", "INVALID_PASSWORD", "INVALID_CODE", "PASSKEY_FAILED", "TOO_MANY_ATTEMPTS"] as const;

export const adminDocs: RouteDoc[] = [
  {
    method: "get",
    path: "/auth/admin/users",
    tag: "admin",
    summary: "Find accounts (by email, page by page)",
    auth: "admin",
    query: listQuery,
    responses: {
      200: { description: "one page, by email", schema: named("AdminUsersResponse", z.object({ users: z.array(AdminUser), nextCursor: z.string().nullable() })) },
    },
    errors: [],
  },
  {
    method: "post",
    path: "/auth/admin/users/:id/reset-2fa",
    tag: "admin",
    summary: "Turn a user's 2FA off (recovery): every factor and backup code removed, every session ended",
    description:
      "Needs the admin's own `password` AND second factor (`code`, `backupCode` or `passkey`) in the request (DESIGN §6 rule 7). " +
      "The user is emailed a one-time link (24 h) that, with their password, is the only way to set 2FA up again (rule 20).",
    auth: "admin",
    params: { id: "a user id" },
    body: resetTwoFactorSchema,
    responses: { 200: { description: "reset", schema: MessageResponse } },
    errors: [...ACTION_ERRORS, "TWOFA_NOT_ENABLED"],
  },
  {
    method: "post",
    path: "/auth/admin/users/:id/unlock",
    tag: "admin",
    summary: "Lift a user's locks: code entry and password sign-in",
    description:
      "Lifts whichever is locked (and clears its count); the user is emailed. 409 NOT_LOCKED when neither is. " +
      "Needs the admin's own `password` AND second factor in the request (DESIGN §6 rule 7).",
    auth: "admin",
    params: { id: "a user id" },
    body: unlockSchema,
    responses: { 200: { description: "unlocked", schema: MessageResponse } },
    errors: [...ACTION_ERRORS, "NOT_LOCKED"],
  },
];
