// `prisma generate` with the client engine needs DATABASE_URL to be set (any value will do:
// it does not connect). Without it Prisma tries to download a query engine, which fails here.
const { execFileSync } = require("node:child_process");
const path = require("node:path");

const root = path.resolve(__dirname, "../..");
execFileSync(
  process.execPath,
  [require.resolve("prisma/build/index.js"), "generate", "--config", path.join(root, "prisma/prisma.config.ts")],
  {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, DATABASE_URL: process.env.DATABASE_URL || "postgresql://placeholder@localhost/placeholder", PRISMA_HIDE_UPDATE_MESSAGE: "1" },
  },
);
