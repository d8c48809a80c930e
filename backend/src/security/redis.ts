import { setTimeout as delay } from "node:timers/promises";
import { createClient } from "redis";
import { RedisStore } from "rate-limit-redis";
import type { Logger } from "pino";

/** What the rate-limit store needs from a Redis client. */
export interface RedisLike {
  sendCommand(args: string[]): Promise<any>;
  quit(): Promise<unknown>;
}

const QUIT_TIMEOUT_MS = 1000;

/**
 * node-redis with the offline queue disabled: while Redis is down, commands fail at once
 * (the limiter then lets the request through) instead of queueing and hanging the request.
 */
export async function connectRedis(url: string, logger: Logger): Promise<RedisLike> {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: (retries) => Math.min(retries * 200, 2000) },
  });
  let lastError = "";
  client.on("error", (err: Error) => {
    if (err.message !== lastError) logger.warn({ err: { message: err.message } }, "redis error (rate limits fail open)");
    lastError = err.message;
  });
  client.on("ready", () => {
    if (lastError) logger.info("redis connection restored");
    lastError = "";
  });
  await client.connect();
  return {
    sendCommand: (args) => client.sendCommand(args),
    // QUIT needs a live connection: sent while Redis is down it waits forever (a shutdown would
    // hang until its force timer), so then the socket is simply closed, which also ends the
    // reconnect loop.
    quit: async () => {
      if (!client.isOpen) return;
      if (client.isReady) {
        const quitting = client.quit().then(() => true, () => false);
        if (await Promise.race([quitting, delay(QUIT_TIMEOUT_MS, false, { ref: false })])) return;
      }
      await client.disconnect().catch(() => undefined);
    },
  };
}

/**
 * rate-limit-redis's RedisStore, safe while Redis is unreachable.
 *
 * Its constructor starts two `SCRIPT LOAD`s and keeps their promises: the increment script's is
 * awaited by the first request, the get script's by nothing in this app. When such a load fails
 * — the store is built while Redis is down (`ClientOfflineError`), or the connection drops
 * while the load is in flight ("Socket closed unexpectedly" from node-redis when the peer
 * closes cleanly, `ECONNRESET` when it resets) — the rejection has no handler yet: an
 * unhandled rejection, which ends a Node process (and fails a jest test). Which of the two
 * errors appears, and whether the drop lands during the load at all, depends on socket timing,
 * so it showed on one Node version and not the other. Here every script-load promise is marked
 * handled when it is made; whoever awaits it later still gets the error (the request then
 * fails open: `passOnStoreError`), and the store loads the script again on its next use.
 */
class OutageSafeRedisStore extends RedisStore {
  override loadIncrementScript(key?: string): Promise<string> {
    return handled(super.loadIncrementScript(key));
  }
  override loadGetScript(key?: string): Promise<string> {
    return handled(super.loadGetScript(key));
  }
}

function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** A rate-limit store on Redis whose counters every instance shares (keys `twofa:rl:<prefix>:…`). */
export function createRedisStore(redis: RedisLike, prefix: string): RedisStore {
  return new OutageSafeRedisStore({ prefix: `twofa:rl:${prefix}:`, sendCommand: (...args: string[]) => redis.sendCommand(args) });
}
