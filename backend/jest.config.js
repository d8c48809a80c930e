/** Backend tests: real HTTP (supertest) against a real PostgreSQL — DATABASE_URL's server when
 * set, else embedded PostgreSQL. Each test file gets its own database cloned from a migrated
 * template, so files run in parallel without sharing state. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/src", "<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.json" }] },
  globalSetup: "<rootDir>/test/global-setup.ts",
  globalTeardown: "<rootDir>/test/global-teardown.ts",
  maxWorkers: 2,
  testTimeout: 30000,
};
