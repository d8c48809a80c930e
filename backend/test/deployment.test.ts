// Issue 19: the image. No Docker engine runs here, so .ci/run proves scripts/image.sh build and
// start on the clean clone; this file checks what only the Dockerfile says (stages, user,
// health check, that every step is the script's) and the script's health check against a server.
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type net from "node:net";
import path from "node:path";
import { REPO_ROOT } from "../src/config";

const dockerfile = fs.readFileSync(path.join(REPO_ROOT, "Dockerfile"), "utf8");
const instructions = dockerfile
  .replace(/\s*\\\n\s*/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));
const stages = instructions.reduce<string[][]>((acc, line) => (line.startsWith("FROM ") ? [...acc, [line]] : (acc[acc.length - 1].push(line), acc)), []);

describe("Dockerfile", () => {
  test("multi-stage on Node 24: the build stage runs scripts/image.sh build; the last stage copies only its result", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage[0]).toMatch(/^FROM node:24(-[a-z]+)*(\s|$)/);
    expect(stages[0].filter((l) => l.startsWith("RUN "))).toEqual(["RUN scripts/image.sh build /app"]);
    const last = stages[stages.length - 1];
    expect(last.filter((l) => l.startsWith("COPY "))).toEqual(["COPY --from=build /app /app"]);
    expect(last).toContain("ENV NODE_ENV=production PORT=3000");
  });

  test("runs as a non-root user, checks /healthz through the script and starts through it", () => {
    const last = stages[stages.length - 1];
    const user = last.filter((l) => l.startsWith("USER ")).pop();
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)(:|$)/);
    expect(last.indexOf(user!)).toBeLessThan(last.findIndex((l) => l.startsWith("CMD ")));
    expect(last.find((l) => l.startsWith("HEALTHCHECK "))).toMatch(/CMD \["\/app\/scripts\/image\.sh", "health"\]$/);
    expect(last.find((l) => l.startsWith("CMD "))).toBe('CMD ["/app/scripts/image.sh", "start"]');
  });

  test(".dockerignore keeps dependencies, builds and .env files out of the build context", () => {
    const ignored = fs.readFileSync(path.join(REPO_ROOT, ".dockerignore"), "utf8").split("\n");
    for (const entry of ["node_modules", ".data", ".env", "*.env"]) expect(ignored).toContain(entry);
  });
});

describe("scripts/image.sh health (the HEALTHCHECK)", () => {
  let status = 200;
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((req, res) => res.writeHead(req.url === "/healthz" ? status : 404).end());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const health = (env: Record<string, string>) =>
    new Promise<number | null>((resolve) => spawn(path.join(REPO_ROOT, "scripts/image.sh"), ["health"], { env: { PATH: process.env.PATH, ...env } }).on("exit", resolve));

  test("exit 0 when /healthz on $PORT answers 200; 1 when it answers 503 or nothing listens", async () => {
    expect(await health({ PORT: String(port) })).toBe(0);
    status = 503;
    expect(await health({ PORT: String(port) })).toBe(1);
    server.close();
    expect(await health({ PORT: String(port) })).toBe(1);
  });
});
