// `prisma generate` with the client engine needs DATABASE_URL to be set (any value will do:
// it does not connect). Without it Prisma tries to download a query engine, which fails here.
// Its harmless notices about prisma/prisma.config.ts ("Loaded Prisma config from …", "Prisma
// config detected, skipping environment variable loading." — that file is meant to be used)
// are dropped; anything else it prints on stderr (errors, warnings) is passed on.
const { spawnSync } = require("node:child_process");
const path = require("node:path");

const root = path.resolve(__dirname, "../..");
const result = spawnSync(
  process.execPath,
  [require.resolve("prisma/build/index.js"), "generate", "--config", path.join(root, "prisma/prisma.config.ts")],
  {
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    env: { ...process.env, DATABASE_URL: process.env.DATABASE_URL || "postgresql://placeholder@localhost/placeholder", PRISMA_HIDE_UPDATE_MESSAGE: "1" },
  },
);
const notice = /^(Loaded Prisma config from .*|Prisma config detected, skipping environment variable loading\.?)\s*$/;
const stderr = (result.stderr ?? "").split("\n").filter((line) => !notice.test(line)).join("\n").trim();
if (result.status !== 0) {
  // on failure show everything it said, stdout included
  process.stderr.write(`${[result.stdout?.trim(), stderr].filter(Boolean).join("\n")}\n`);
  if (result.error) process.stderr.write(`${result.error.message}\n`);
  process.exit(result.status ?? 1);
}
if (stderr) process.stderr.write(`${stderr}\n`);
