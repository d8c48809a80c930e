// `npm run secrets`: a complete production .env with fresh secrets on stdout (or written to the
// file named as argument, never over an existing one), and on stderr what is left to fill in.
import fs from "node:fs";
import { generateSecrets } from "../config";

/** The values only the operator knows; left empty, the boot check names each of them. */
export const FILL_IN: ReadonlyArray<[name: string, example: string, why: string]> = [
  ["APP_URL", "https://auth.example.com", "the public https address of the app (email links, passkeys' site)"],
  ["DATABASE_URL", "postgresql://twofa:password@db.internal:5432/twofa", "your PostgreSQL (16 or newer)"],
  ["SMTP_URL", "smtp://user:password@smtp.example.com:587", "the mail server that sends reset links and security emails"],
];

export function productionEnvFile(secrets = generateSecrets()): string {
  const lines = [
    "# TwoFA production settings, made by `npm run secrets`. Keep this file private (chmod 600):",
    "# anyone holding these secrets can forge sessions and read the stored TOTP secrets.",
    "NODE_ENV=production",
    "",
    "# Fill these in (the boot refuses to start while one is empty):",
    ...FILL_IN.flatMap(([name, example, why]) => [`# ${why}, e.g. ${example}`, `${name}=`]),
    "",
    "# Fresh random secrets. TWOFA_ENCRYPTION_KEY encrypts the stored TOTP secrets: losing it",
    "# disables every authenticator app; to rotate it use TWOFA_ENCRYPTION_KEYS (README, Deploy).",
    ...Object.entries(secrets).map(([name, value]) => `${name}=${value}`),
    "",
    "# Optional:",
    'MAIL_FROM="TwoFA <no-reply@example.com>"',
    "# behind one reverse proxy (nginx, a load balancer): per-IP limits then see the client's address",
    "TRUST_PROXY=1",
    "# several instances: share the per-IP flood limits",
    "# REDIS_URL=redis://redis:6379",
    "# METRICS_TOKEN=<a long random value>   serves GET /metrics to whoever sends it as a bearer token",
    "",
  ];
  return lines.join("\n");
}

function main(args: string[]) {
  const text = productionEnvFile();
  const out = args[0];
  if (out) {
    // "wx": never replace an existing file (its secrets protect live data)
    fs.writeFileSync(out, text, { flag: "wx", mode: 0o600 });
    console.error(`wrote ${out}`);
  } else {
    process.stdout.write(text);
  }
  console.error(`Still to fill in: ${FILL_IN.map(([name]) => name).join(", ")} (each is explained in the file).`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error((err as NodeJS.ErrnoException).code === "EEXIST" ? `${process.argv[2]} exists already: not replaced (move it away first)` : String(err));
    process.exit(1);
  }
}
