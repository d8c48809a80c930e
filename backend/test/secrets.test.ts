// `npm run secrets` (issue 19.2): a complete production .env with fresh secrets; once the operator
// fills in what it names, the production boot check accepts it, and not before.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseEnv } from "node:util";
import { FILL_IN } from "../src/cli/secrets";
import { ConfigError, loadConfig, REPO_ROOT } from "../src/config";

/** `npm run secrets -- <file>` as an operator runs it, from the repository root. */
function runSecrets(file: string) {
  return spawnSync("npm", ["run", "--silent", "secrets", "--", file], { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 });
}
const load = (env: Record<string, string | undefined>) => loadConfig(env as NodeJS.ProcessEnv, "/nonexistent");

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "twofa-secrets-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test("writes a private .env whose only gaps are the values it names; filled in, it passes the production check", () => {
  const file = path.join(dir, "prod.env");
  const run = runSecrets(file);
  expect(run.status).toBe(0);
  expect(run.stderr).toContain("Still to fill in: APP_URL, DATABASE_URL, SMTP_URL");
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  const env = parseEnv(fs.readFileSync(file, "utf8"));
  expect(env.NODE_ENV).toBe("production");

  let refused = "";
  try {
    load(env);
  } catch (err) {
    refused = (err as ConfigError).message;
  }
  const lines = refused.split("\n").slice(1);
  expect(lines.map((l) => /^ {2}- ([A-Z_]+)/.exec(l)?.[1]).sort()).toEqual(FILL_IN.map(([name]) => name).sort());

  const filled = { ...env, ...Object.fromEntries(FILL_IN.map(([name, example]) => [name, example])) };
  const config = load(filled);
  expect(config.appUrl).toBe("https://auth.example.com");
  expect(config.cookies.secure).toBe(true);
  expect(config.mail.from).toBe("TwoFA <no-reply@example.com>");
});

test("every run makes new secrets, and never replaces an existing file", () => {
  const a = path.join(dir, "a.env");
  const b = path.join(dir, "b.env");
  expect(runSecrets(a).status).toBe(0);
  expect(runSecrets(b).status).toBe(0);
  const [envA, envB] = [a, b].map((f) => parseEnv(fs.readFileSync(f, "utf8")));
  for (const name of ["JWT_ACCESS_SECRET", "JWT_REFRESH_SECRET", "JWT_2FA_SECRET", "CSRF_SECRET", "BACKUP_CODE_KEY", "TWOFA_ENCRYPTION_KEY"]) {
    expect(envA[name]).toBeTruthy();
    expect(envA[name]).not.toBe(envB[name]);
  }
  const before = fs.readFileSync(a, "utf8");
  const again = runSecrets(a);
  expect(again.status).toBe(1);
  expect(again.stderr).toContain("exists already: not replaced");
  expect(fs.readFileSync(a, "utf8")).toBe(before);
});
