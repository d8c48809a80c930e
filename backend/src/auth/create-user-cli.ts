// npm run user:create -- [--admin] EMAIL [--password-stdin]
// Without --password-stdin a strong random password is generated and printed once.
// An ADMIN must turn on 2FA at first login (every other route answers TWOFA_SETUP_REQUIRED).
import crypto from "node:crypto";
import { loadConfig } from "../config";
import { openDatabase } from "../db/open-database";
import { createPrisma } from "../db/prisma";
import { createUser } from "./users";

async function readStdin(): Promise<string> {
  let data = "";
  for await (const chunk of process.stdin) data += chunk;
  return data.replace(/\r?\n$/, "");
}

async function main() {
  const args = process.argv.slice(2);
  const email = args.find((a) => !a.startsWith("--"));
  if (!email || !/^[^@\s]+@[^@\s]+$/.test(email)) {
    console.error("usage: npm run user:create -- [--admin] EMAIL [--password-stdin]");
    process.exit(2);
  }
  const password = args.includes("--password-stdin") ? await readStdin() : crypto.randomBytes(18).toString("base64url");
  if (password.length < 12) {
    console.error("the password must be at least 12 characters");
    process.exit(2);
  }
  const database = await openDatabase(loadConfig());
  const db = createPrisma(database.url);
  try {
    const user = await createUser(db, { email, password, role: args.includes("--admin") ? "ADMIN" : "USER" });
    console.log(`${user.role} ${user.email} (${user.id}) is ready.`);
    if (!args.includes("--password-stdin")) console.log(`Password (shown once): ${password}`);
    if (user.role === "ADMIN") console.log("At first login this account must enable two-factor authentication.");
  } finally {
    await db.$disconnect();
    await database.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
