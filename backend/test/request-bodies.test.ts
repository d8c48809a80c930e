// Issue 18 finding 6: a body that cannot be read — Content-Encoding: gzip over a plain body, a
// truncated gzip body, fewer bytes than its Content-Length, an encoding the server does not
// speak — is the client's mistake: 400 MALFORMED_BODY (415 UNSUPPORTED_CONTENT_ENCODING), logged
// at warn without a stack, and nothing is written. Sent as raw bytes over a socket, so nothing
// between the test and the server fixes the request up.
import http from "node:http";
import net from "node:net";
import { Writable } from "node:stream";
import zlib from "node:zlib";
import pino from "pino";
import { ERROR_CODES } from "../src/http/errors";
import { Client, PASSWORD, startTestApp, uniqueEmail, type TestEnv } from "./harness";

let env: TestEnv;
let server: http.Server;
let port: number;
let logLines: Array<{ level: number; msg: string; body?: Record<string, unknown> }> = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) logLines.push(JSON.parse(line));
      cb();
    },
  });
  env = await startTestApp({ deps: { logger: pino({ level: "warn" }, sink) } });
  server = http.createServer(env.app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await env.close();
});
beforeEach(() => {
  logLines = [];
});

interface RawAnswer {
  status: number;
  body: unknown;
}

/**
 * Writes the request head and `body` as they are. `shortBy` bytes fewer than Content-Length are
 * sent, then the client stops sending (half-close) and waits for whatever the server answers.
 */
function rawRequest(path: string, headers: Record<string, string>, body: Buffer, shortBy = 0): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = Buffer.alloc(0);
    socket.on("data", (d) => (received = Buffer.concat([received, d])));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = received.toString("latin1");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const payload = text.split("\r\n\r\n").slice(1).join("\r\n\r\n");
      let parsed: unknown = payload;
      try {
        parsed = JSON.parse(payload);
      } catch {
        // not JSON (or nothing): kept as text for the failure message
      }
      resolve({ status, body: parsed });
    });
    const head = [`POST ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, "Connection: close", `Content-Length: ${body.length + shortBy}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    socket.write(`${head.join("\r\n")}\r\n\r\n`);
    socket.write(body);
    if (shortBy > 0) socket.end();
  });
}

/** A browser's CSRF pair, so that each request below would succeed if only its body were readable. */
async function csrfHeaders(): Promise<Record<string, string>> {
  const client = await new Client(env.app).init();
  return { "X-XSRF-TOKEN": client.xsrf, Cookie: `XSRF-TOKEN=${encodeURIComponent(client.xsrf)}`, "Content-Type": "application/json" };
}

const ROUTES = ["/auth/register", "/auth/login", "/auth/password/forgot"] as const;
const json = (email: string) => Buffer.from(JSON.stringify({ email, password: PASSWORD }));

/** Rows of every table a register, login or forgot-password request writes to. */
const rowCounts = async () => ({
  users: await env.db.user.count(),
  sessions: await env.db.session.count(),
  audit: await env.db.auditEvent.count(),
  outbox: await env.db.mailOutbox.count(),
  resetLinks: await env.db.passwordResetToken.count(),
});

function expectOneWarnWithoutStack() {
  expect(logLines.filter((l) => l.level >= 50)).toEqual([]);
  const warns = logLines.filter((l) => l.level === 40 && l.msg === "unreadable request body");
  expect(warns).toHaveLength(1);
  expect(JSON.stringify(warns[0])).not.toMatch(/stack|at .*\.js:\d+/);
}

const cases: Array<[string, number, keyof typeof ERROR_CODES, (body: Buffer) => { headers: Record<string, string>; body: Buffer }]> = [
  ["Content-Encoding: gzip over a plain body", 400, "MALFORMED_BODY", (b) => ({ headers: { "Content-Encoding": "gzip" }, body: b })],
  ["a truncated gzip body", 400, "MALFORMED_BODY", (b) => ({ headers: { "Content-Encoding": "gzip" }, body: zlib.gzipSync(b).subarray(0, 20) })],
  ["Content-Encoding: br over a plain body", 400, "MALFORMED_BODY", (b) => ({ headers: { "Content-Encoding": "br" }, body: b })],
  ["an unsupported Content-Encoding", 415, "UNSUPPORTED_CONTENT_ENCODING", (b) => ({ headers: { "Content-Encoding": "x-snappy" }, body: b })],
];

describe.each(ROUTES)("%s", (route) => {
  test.each(cases)("%s → %i %s, logged at warn without a stack, nothing written", async (_name, status, code, make) => {
    const email = uniqueEmail("body");
    const before = await rowCounts();
    const sent = make(json(email));
    const res = await rawRequest(route, { ...(await csrfHeaders()), ...sent.headers }, sent.body);
    expect(res).toEqual({ status, body: { message: ERROR_CODES[code].message, code } });
    expectOneWarnWithoutStack();
    expect(await rowCounts()).toEqual(before);
  });

  test("a body shorter than its Content-Length: never a 500 nor an ERROR log, nothing written", async () => {
    const email = uniqueEmail("short");
    const before = await rowCounts();
    const res = await rawRequest(route, await csrfHeaders(), json(email), 25);
    // the client stopped sending: Node answers 400 itself or the connection just closes
    expect([0, 400]).toContain(res.status);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the app's error handler runs after the socket closed
    expectOneWarnWithoutStack();
    expect(logLines.find((l) => l.msg === "unreadable request body")!.body).toMatchObject({ type: "request.aborted" });
    expect(await rowCounts()).toEqual(before);
  });
}, 30_000);

test("the same requests with a readable body are accepted (the cases above fail only for their body)", async () => {
  const email = uniqueEmail("control");
  const before = await rowCounts();
  const gzip = await rawRequest("/auth/register", { ...(await csrfHeaders()), "Content-Encoding": "gzip" }, zlib.gzipSync(json(email)));
  expect(gzip.status).toBe(201);
  expect(await env.db.user.count({ where: { email } })).toBe(1);
  const forgot = await rawRequest("/auth/password/forgot", await csrfHeaders(), json(email));
  expect(forgot.status).toBe(202);
  const after = await rowCounts();
  expect([after.users - before.users, after.resetLinks - before.resetLinks]).toEqual([1, 1]);
  expect(logLines).toEqual([]);
});
