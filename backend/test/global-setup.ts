import { migrate } from "../src/db/migrate";
import { REDIS_SKIP_REASON, TEST_REDIS_URL } from "./support/redis";
import { dropTestDatabases, startTestServer, TEST_DB_PREFIX, withAdmin, withDatabase } from "./test-server";

export default async function globalSetup() {
  if (!TEST_REDIS_URL) console.log(`\nThe tests that need Redis are ${REDIS_SKIP_REASON}.`);
  const { adminUrl, embedded } = await startTestServer();
  const runId = String(process.pid);
  await dropTestDatabases(adminUrl);
  const template = `${TEST_DB_PREFIX}${runId}_template`;
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE "${template}"`));
  await migrate(withDatabase(adminUrl, template));
  // Workers inherit these.
  process.env.TWOFA_TEST_ADMIN_URL = adminUrl;
  process.env.TWOFA_TEST_RUN_ID = runId;
  process.env.TWOFA_TEST_TEMPLATE = template;
  (globalThis as Record<string, unknown>).__TWOFA_EMBEDDED__ = embedded;
}
