// Logs a developer reads (LOG_FORMAT=pretty, the development default): one short line per
// request — method, path, status, time — and never a secret; JSON stays the default elsewhere.
import { Writable } from "node:stream";
import pino from "pino";
import request from "supertest";
import { createApp, LOG_REDACT_PATHS } from "../src/app";
import { loadConfig } from "../src/config";
import { createPrisma } from "../src/db/prisma";
import { formatLogMessage, prettyDestination } from "../src/http/pretty-log";
import { PRODUCTION_ENV, TEST_ENV, testConfig } from "./harness";

describe("LOG_FORMAT", () => {
  test("pretty in development, JSON in production and tests, and either on demand", () => {
    const { NODE_ENV: _test, ...secrets } = TEST_ENV;
    expect(loadConfig({ ...secrets, NODE_ENV: "development" }, "/nonexistent").logFormat).toBe("pretty");
    expect(loadConfig({ ...secrets, NODE_ENV: "development", LOG_FORMAT: "json" }, "/nonexistent").logFormat).toBe("json");
    expect(loadConfig(PRODUCTION_ENV, "/nonexistent").logFormat).toBe("json");
    expect(testConfig().logFormat).toBe("json");
    expect(() => testConfig({ LOG_FORMAT: "xml" })).toThrow(/LOG_FORMAT/);
  });
});

describe("pretty request lines", () => {
  test("method, path without the query string, status and time; other lines keep their message", () => {
    const line = { req: { id: 1, method: "GET", url: "/auth/security-events?before=abc" }, res: { statusCode: 401 }, responseTime: 2.6, msg: "request completed" };
    expect(formatLogMessage(line, "msg")).toBe("GET /auth/security-events 401 3 ms");
    expect(formatLogMessage({ req: { method: "POST", path: "/auth/login" }, res: { statusCode: 500 }, responseTime: 12, msg: "request errored" }, "msg")).toBe("POST /auth/login 500 12 ms");
    expect(formatLogMessage({ req: { method: "POST", path: "/auth/login" }, res: { statusCode: 500 }, msg: "failed with status code 500" }, "msg")).toBe(
      "POST /auth/login 500 (failed with status code 500)",
    );
    expect(formatLogMessage({ msg: "TwoFA listening on http://localhost:3000" }, "msg")).toBe("TwoFA listening on http://localhost:3000");
  });

  test("a request through the app logs one short line, without its cookies, headers or query", async () => {
    let text = "";
    const sink = new Writable({
      write(chunk, _enc, cb) {
        text += chunk.toString();
        cb();
      },
    });
    const logger = pino({ level: "info", redact: { paths: LOG_REDACT_PATHS, censor: "[redacted]" } }, prettyDestination(sink));
    // GET /auth/session without session cookies never touches the database (nothing listens there)
    const db = createPrisma("postgresql://nobody@127.0.0.1:1/none", { max: 1 });
    const app = createApp({ config: testConfig({ LOG_LEVEL: "info", LOG_FORMAT: "pretty" }), db, logger });
    const res = await request(app).get("/auth/session?next=hunter2-secret").set("Cookie", "XSRF-TOKEN=cookie-secret-value").set("User-Agent", "agent-secret");
    expect(res.status).toBe(200);
    const lines = text.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\] INFO(\u001b\[\d+m)*: GET \/auth\/session 200 \d+ ms$/);
    for (const secret of ["hunter2-secret", "cookie-secret-value", "agent-secret"]) expect(text).not.toContain(secret);
    await db.$disconnect();
  });
});
