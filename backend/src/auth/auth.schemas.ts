import { z } from "zod";
import { passwordSchema } from "../http/validate";
import { refineNewPassword } from "./password-policy";

const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ error: "must be a valid email address" }));
export { email as emailSchema };

// The password rule needs the email (a password must not contain its local part): checked on
// the whole body once both fields are strings (auth/password-policy.ts).
export const registerSchema = z.object({ email, password: z.string() }).superRefine(refineNewPassword);

// Login does not apply the registration rules: a wrong-looking password is just a wrong password.
export const loginSchema = z.object({ email: z.string().trim().toLowerCase().min(1).max(254), password: passwordSchema });
