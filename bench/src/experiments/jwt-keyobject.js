// A/B experiment (not part of `npm run bench`): how fast would the API be if
// backend/src/auth/tokens.ts handed jsonwebtoken KeyObjects instead of string secrets?
// Copies backend/dist to a temporary folder, patches auth/tokens.js there (the repository is
// not touched), and runs the bench's verify/refresh/me scenarios against that copy.
//   node bench/src/experiments/jwt-keyobject.js [connections=16,64] [duration=5]
// Output: bench/output/experiment-jwt-keyobject.md (the reference is the same as in the bench).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BACKEND_DIST, REPO_ROOT } from "../lib/util.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "twofa-jwt-keyobject-"));
try {
  fs.mkdirSync(path.join(dir, "backend"));
  fs.cpSync(BACKEND_DIST, path.join(dir, "backend/dist"), { recursive: true });
  fs.copyFileSync(path.join(REPO_ROOT, "backend/package.json"), path.join(dir, "backend/package.json"));
  // dist/config.js finds the repository root as ../.. : give the copy the same neighbours
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
  fs.symlinkSync(path.join(REPO_ROOT, "prisma"), path.join(dir, "prisma"));
  const file = path.join(dir, "backend/dist/auth/tokens.js");
  let src = fs.readFileSync(file, "utf8");
  const before = src;
  src = src.replace(
    /(\n\s*const nowSeconds = )/,
    `\n    const keyObjects = Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, require("node:crypto").createSecretKey(Buffer.from(v, "utf8"))]));$1`,
  );
  src = src.replaceAll("secrets[claims.type]", "keyObjects[claims.type]").replaceAll("secrets[type]", "keyObjects[type]");
  if (src === before || !src.includes("keyObjects[claims.type]") || !src.includes("keyObjects[type]")) {
    throw new Error("backend/dist/auth/tokens.js no longer has the expected shape: update this experiment (or the fix has landed)");
  }
  fs.writeFileSync(file, src);
  const args = process.argv.slice(2);
  const res = spawnSync(process.execPath, [path.join(REPO_ROOT, "bench/src/run.js"), "verify", "refresh", "me", ...(args.length ? args : ["connections=16,64"])], {
    stdio: "inherit",
    env: { ...process.env, BENCH_BACKEND_DIST: path.join(dir, "backend/dist"), BENCH_REPORT: "experiment-jwt-keyobject" },
  });
  process.exitCode = res.status ?? 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
