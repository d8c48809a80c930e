// Prisma CLI configuration. The Rust engines cannot be downloaded on our machines, so the CLI
// talks to PostgreSQL through the pg driver adapter (engine "js"). `prisma generate` only needs
// DATABASE_URL to be set (any value); `prisma migrate diff` needs it to reach a server.
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join(__dirname, "schema.prisma"),
  migrations: { path: path.join(__dirname, "migrations") },
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL ?? "postgresql://localhost/placeholder" }),
});
