import { checkPassword } from "../auth/password-policy";
import { AppError } from "../http/errors";

/** DESIGN §6.14 for a new password (change or reset): 400 VALIDATION_FAILED naming `field`. */
export function assertAllowedPassword(password: string, email: string, field: string): void {
  const result = checkPassword(password, email);
  if (!result.ok) throw new AppError("VALIDATION_FAILED", { fields: [{ field, message: result.message ?? "is not allowed" }] });
}
