import { z } from "zod";
import { passwordSchema } from "../http/validate";

const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ error: "must be a valid email address" }));

export const registerSchema = z.object({
  email,
  password: z.string().min(12, "must be at least 12 characters").max(1024),
});

// Login does not apply the registration rules: a wrong-looking password is just a wrong password.
export const loginSchema = z.object({ email: z.string().trim().toLowerCase().min(1).max(254), password: passwordSchema });
