import { createClient } from "redis";
import type { Logger } from "pino";

/** What the rate-limit store needs from a Redis client. */
export interface RedisLike {
  sendCommand(args: string[]): Promise<any>;
  quit(): Promise<unknown>;
}

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
    quit: () => client.quit().catch(() => undefined),
  };
}
