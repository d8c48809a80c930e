// The user as an authenticated request sees it. Sessions themselves live in ../sessions/.
import type { Role } from "@prisma/client";
import type { Context } from "../context";

export interface SessionUser {
  id: string;
  email: string;
  role: Role;
  tokenVersion: number;
  twoFactorEnabled: boolean;
}

export const SESSION_USER_SELECT = { id: true, email: true, role: true, tokenVersion: true, twoFactorEnabled: true } as const;

export function publicUser(user: SessionUser) {
  return { id: user.id, email: user.email, role: user.role, twoFactorEnabled: user.twoFactorEnabled };
}

export const nowSeconds = (ctx: Context) => Math.floor(ctx.clock.now() / 1000);
