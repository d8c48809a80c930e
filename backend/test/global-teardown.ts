import type { EmbeddedDatabase } from "../src/db/embedded";
import { dropTestDatabases } from "./test-server";

export default async function globalTeardown() {
  await dropTestDatabases(process.env.TWOFA_TEST_ADMIN_URL!, process.env.TWOFA_TEST_RUN_ID);
  await ((globalThis as Record<string, unknown>).__TWOFA_EMBEDDED__ as EmbeddedDatabase | undefined)?.stop();
}
