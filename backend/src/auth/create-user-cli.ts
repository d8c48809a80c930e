// npm run user:create -- [--admin] EMAIL [--password-stdin] [--reset-password]
// Creates the account, or says it already exists and changes nothing — except with
// --reset-password (new password, tokenVersion++ so every session of it ends) and --admin on an
// existing USER (made ADMIN). Without --password-stdin a strong random password is generated and
// printed once — only when it was actually set; a password given on stdin must pass the same
// rule as registration (auth/password-policy). An ADMIN must turn on 2FA at first login.
// While `npm start` runs on the embedded database this joins that server and leaves it running.
import crypto from "node:crypto";
import { describeError, runCli } from "../cli/errors";
import { loadConfig } from "../config";
import { openDatabase } from "../db/open-database";
import { createPrisma } from "../db/prisma";
import { checkPassword } from "./password-policy";
import { createUser } from "./users";

const USAGE = "usage: npm run user:create -- [--admin] EMAIL [--password-stdin] [--reset-password]";
const FLAGS = new Set(["--admin", "--password-stdin", "--reset-password"]);

async function readStdin(): Promise<string> {
  let data = "";
  for await (const chunk of process.stdin) data += chunk;
  return data.replace(/\r?\n$/, "");
}

function usage(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

runCli(async () => {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const unknown = args.filter((a) => a.startsWith("-") && !FLAGS.has(a));
  if (unknown.length) usage(`unknown option ${unknown.join(", ")}`);
  const positional = args.filter((a) => !a.startsWith("-"));
  if (positional.length !== 1) usage(positional.length ? `one EMAIL expected, got ${positional.join(" ")}` : "EMAIL is missing");
  const email = positional[0];
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) usage(`not an email address: ${email}`);

  const fromStdin = args.includes("--password-stdin");
  const resetPassword = args.includes("--reset-password");
  // A generated password: 144 random bits, far beyond the strength rule.
  const password = fromStdin ? await readStdin() : crypto.randomBytes(18).toString("base64url");
  if (fromStdin) {
    const check = checkPassword(password, email);
    if (!check.ok) usage(`Password ${check.message} (the rule of registration: 12–1024 characters, hard to guess, not the email)`);
  }

  const database = await openDatabase(loadConfig(), (m) => console.error(m), { role: "cli" });
  const db = createPrisma(database.url, { max: 2 });
  try {
    if (database.joined) console.error(`using the embedded PostgreSQL of the running app (process ${database.joined.ownerPid}, port ${database.joined.port})`);
    const user = await createUser(db, { email, password, role: args.includes("--admin") ? "ADMIN" : "USER", resetPassword });
    const who = `${user.role} ${user.email} (${user.id})`;
    if (user.outcome === "created") {
      console.log(`created ${who}`);
    } else {
      console.log(`already exists: ${who}`);
      if (user.promoted) console.log("role changed to ADMIN");
      console.log(
        user.passwordReset
          ? "password reset; every session and remembered device of this account has ended"
          : "password not changed (add --reset-password to set a new one)",
      );
    }
    const passwordSet = user.outcome === "created" || user.passwordReset;
    if (passwordSet && !fromStdin) console.log(`Password (shown once): ${password}`);
    if (user.role === "ADMIN" && (user.outcome === "created" || user.promoted)) {
      console.log("At first login this account must enable two-factor authentication.");
    }
  } finally {
    await db.$disconnect().catch(() => undefined);
    await database.close().catch((err) => console.error(`warning: stopping the embedded PostgreSQL failed: ${describeError(err)}`));
  }
});
