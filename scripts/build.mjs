#!/usr/bin/env node
// Builds what `npm start` serves, skipping every part that is up to date:
//   prisma    the generated Prisma client (node_modules/.prisma/client), from prisma/schema.prisma
//   backend   backend/dist (tsc), from backend/src and the shared password rule
//   frontend  frontend/dist/browser (ng build), from frontend/src and the shared password rule
//
// A part is up to date when its output exists and the hash of its inputs (file contents, not
// modification times: a checkout that changes nothing changes nothing) equals the one written
// beside the output after its last successful build. The stamp lists every input's hash, so a
// rebuild says which file changed. The lock file is an input of every part: new dependencies
// rebuild everything.
//
//   node scripts/build.mjs            build what is stale (npm start, the e2e tests)
//   node scripts/build.mjs --force    build everything (npm run build)
//   node scripts/build.mjs --only=backend[,prisma,...]
//   node scripts/build.mjs --check    only say what is stale (exit 1 if anything is)
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(path.join(REPO_ROOT, "backend/package.json"));

const SHARED = ["package-lock.json", "tsconfig.base.json", "password-policy", "contract"];
const isTest = (p) => /\.(test|spec)\.[cm]?[jt]s$/.test(p);

/** Each part: its inputs (files or folders, relative to the repository), output and build command. */
export const PARTS = {
  prisma: {
    label: "Prisma client",
    inputs: ["prisma/schema.prisma", "prisma/prisma.config.ts", "backend/scripts/prisma-generate.js", "package-lock.json"],
    output: "node_modules/.prisma/client/index.js",
    stamp: "node_modules/.prisma/client/.twofa-build.json",
    command: () => [process.execPath, [path.join(REPO_ROOT, "backend/scripts/prisma-generate.js")]],
  },
  backend: {
    label: "backend",
    inputs: ["backend/src", "backend/package.json", "backend/tsconfig.json", "backend/tsconfig.build.json", "prisma/schema.prisma", ...SHARED],
    ignore: isTest,
    output: "backend/dist/main.js",
    stamp: "backend/dist/.twofa-build.json",
    after: ["prisma"],
    command: () => [process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(REPO_ROOT, "backend/tsconfig.build.json")]],
  },
  frontend: {
    label: "SPA",
    inputs: ["frontend/src", "frontend/public", "frontend/angular.json", "frontend/package.json", "frontend/tsconfig.json", "frontend/tsconfig.app.json", ...SHARED],
    ignore: (p) => isTest(p) || p.startsWith("frontend/src/testing/"),
    output: "frontend/dist/browser/index.html",
    stamp: "frontend/dist/.twofa-build.json",
    command: () => ["npm", ["run", "build", "--silent", "-w", "frontend"]],
  },
};

function listFiles(rel, ignore, out) {
  const abs = path.join(REPO_ROOT, rel);
  let st;
  try {
    st = fs.statSync(abs);
  } catch {
    return; // an optional input (frontend/public) that does not exist
  }
  if (st.isDirectory()) {
    for (const name of fs.readdirSync(abs).sort()) {
      if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
      listFiles(`${rel}/${name}`, ignore, out);
    }
  } else if (!ignore?.(rel)) {
    out.push(rel);
  }
}

/** {file: sha256} of every input of a part. */
export function hashInputs(part) {
  const files = [];
  for (const input of part.inputs) listFiles(input, part.ignore, files);
  const hashes = {};
  for (const file of [...new Set(files)].sort()) {
    hashes[file] = crypto.createHash("sha256").update(fs.readFileSync(path.join(REPO_ROOT, file))).digest("hex");
  }
  return hashes;
}

function readStamp(part) {
  try {
    return JSON.parse(fs.readFileSync(path.join(REPO_ROOT, part.stamp), "utf8")).inputs ?? null;
  } catch {
    return null;
  }
}

function describeChanges(before, now) {
  const changed = [];
  for (const file of new Set([...Object.keys(before), ...Object.keys(now)])) {
    if (before[file] !== now[file]) changed.push(`${file}${file in now ? (file in before ? "" : " (new)") : " (removed)"}`);
  }
  const shown = changed.slice(0, 3).join(", ");
  return changed.length > 3 ? `${shown} and ${changed.length - 3} more changed` : `${shown} changed`;
}

/** Why `name` must be built, or null when it is up to date. */
export function staleReason(name, inputs = hashInputs(PARTS[name])) {
  const part = PARTS[name];
  if (!fs.existsSync(path.join(REPO_ROOT, part.output))) return `${part.output} is missing`;
  const before = readStamp(part);
  if (!before) return "never built by this script";
  return JSON.stringify(before) === JSON.stringify(inputs) ? null : describeChanges(before, inputs);
}

function run(name, log) {
  const [cmd, args] = PARTS[name].command();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: REPO_ROOT, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`building the ${PARTS[name].label} failed (${signal ?? `exit code ${code}`}): ${cmd} ${args.join(" ")}`)),
    );
  }).then(() => log(`build: ${PARTS[name].label} built`));
}

/**
 * Builds the stale parts (all of `only` with `force`): the Prisma client first, then the backend
 * and the SPA side by side. Resolves to the names built.
 */
export async function build({ force = false, only = Object.keys(PARTS), check = false, log = console.log } = {}) {
  const started = Date.now();
  const plan = [];
  for (const name of only) {
    const inputs = hashInputs(PARTS[name]);
    const reason = force ? "--force" : staleReason(name, inputs);
    if (reason) plan.push({ name, inputs, reason });
  }
  if (!plan.length) {
    log(`build: ${only.map((n) => PARTS[n].label).join(", ")} up to date (${Date.now() - started} ms)`);
    return [];
  }
  for (const { name, reason } of plan) log(`build: ${PARTS[name].label}${check ? " is stale" : ""} (${reason})`);
  if (check) return plan.map((p) => p.name);

  const done = new Map();
  const buildOne = ({ name, inputs }) => {
    if (!done.has(name)) {
      const waitFor = (PARTS[name].after ?? []).map((dep) => plan.find((p) => p.name === dep)).filter(Boolean).map(buildOne);
      done.set(
        name,
        Promise.all(waitFor).then(async () => {
          // a failed build leaves no stamp: the next run tries again
          fs.rmSync(path.join(REPO_ROOT, PARTS[name].stamp), { force: true });
          await run(name, log);
          fs.writeFileSync(path.join(REPO_ROOT, PARTS[name].stamp), JSON.stringify({ builtAt: new Date().toISOString(), inputs }, null, 1) + "\n");
        }),
      );
    }
    return done.get(name);
  };
  const results = await Promise.allSettled(plan.map(buildOne));
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  log(`build: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return plan.map((p) => p.name);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const onlyArg = args.find((a) => a.startsWith("--only="));
  const only = onlyArg ? onlyArg.slice("--only=".length).split(",").filter(Boolean) : undefined;
  const unknown = [...(only ?? []).filter((n) => !PARTS[n]), ...args.filter((a) => !/^--(force|check|only=.*)$/.test(a))];
  if (unknown.length) {
    console.error(`usage: node scripts/build.mjs [--force] [--check] [--only=${Object.keys(PARTS).join(",")}] (unknown: ${unknown.join(" ")})`);
    process.exit(2);
  }
  build({ force: args.includes("--force"), check: args.includes("--check"), only }).then(
    (built) => process.exit(args.includes("--check") && built.length ? 1 : 0),
    (err) => {
      console.error(`error: ${err.message}`);
      process.exit(1);
    },
  );
}
