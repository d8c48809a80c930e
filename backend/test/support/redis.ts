// The tests that need a Redis server run against REDIS_URL when it is set (.ci/run sets it) and
// are skipped otherwise — with the reason in their name, and one line at the start of the run
// (global-setup.ts) — so `npm test` passes on a machine without Redis.
export const TEST_REDIS_URL = process.env.REDIS_URL;

export const REDIS_SKIP_REASON = "skipped: REDIS_URL is not set (start Redis, e.g. docker compose up -d redis, and set REDIS_URL=redis://127.0.0.1:6379 to run it)";

/** host and port of TEST_REDIS_URL, for the tests that put a TCP proxy in front of it */
export const testRedisAddress = () => {
  const url = new URL(TEST_REDIS_URL!);
  return { host: url.hostname, port: Number(url.port || 6379) };
};

/** `describe` when Redis is available, else `describe.skip` with the reason in the name. */
export const describeWithRedis = (name: string, fn: () => void) => (TEST_REDIS_URL ? describe(name, fn) : describe.skip(`${name} [${REDIS_SKIP_REASON}]`, fn));
