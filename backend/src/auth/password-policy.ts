// DESIGN §6.14 on the API side. The rule itself (12–1024 characters after NFKC, zxcvbn-ts score
// ≥ 3, not containing the email's local part) is @twofa/password-policy, the module the SPA's
// register page also imports, so the live hint there and the verdict here are the same rule.
// NFKC before hashing and verifying happens in ./password.ts.
import { checkPassword } from "@twofa/password-policy";
import type { z } from "zod";

export { checkPassword, normalizePassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "@twofa/password-policy";

/**
 * zod refinement for a body with {email, password}: a refused password becomes a `password`
 * issue, so the answer is 400 VALIDATION_FAILED {fields:[{field:"password", message}]}.
 */
export function refineNewPassword(value: { email: string; password: string }, ctx: z.RefinementCtx): void {
  const result = checkPassword(value.password, value.email);
  if (!result.ok) ctx.addIssue({ code: "custom", path: ["password"], message: result.message ?? "is not allowed" });
}
