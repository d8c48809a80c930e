// Issue 19: the production build behind deploy/nginx.conf over TLS, as the README's Deploy section
// sets it up (self-signed certificate, TRUST_PROXY=1). Over https: register, turn the
// authenticator app on, log in with a code; every cookie Secure, HSTS on every answer; and the
// per-IP limits keyed on the client address nginx saw (clients connect from 127.0.0.2, .3, .4),
// whatever X-Forwarded-For a client sends itself. Needs nginx and openssl (.ci/run installs
// them); without nginx it is skipped, saying so.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { REPO_ROOT } from "../src/config";
import { generateTotp } from "../src/two-factor/totp/totp";
import { createTestDatabase, PASSWORD, PRODUCTION_ENV, uniqueEmail } from "./harness";

const NGINX = ["/usr/sbin/nginx", "/usr/bin/nginx"].find((p) => fs.existsSync(p));
const SKIP = "skipped: nginx is not installed (apt-get install -y nginx-light; .ci/run installs it)";
const describeWithNginx = (name: string, fn: () => void) => (NGINX ? describe(name, fn) : describe.skip(`${name} [${SKIP}]`, fn));
if (!NGINX) console.log(`tls-proxy.test.ts: ${SKIP}`);

const HOST = "auth.example.com";
const IP_LIMIT = 5;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });

async function waitFor(what: string, check: () => Promise<boolean>, child: ChildProcess, log: () => string) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}):\n${log()}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up in 30 s:\n${log()}`);
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** A browser at one client address: its cookies, echoing XSRF-TOKEN like Angular. */
class Browser {
  private cookies = new Map<string, string>();
  setCookieLines: string[] = [];
  constructor(
    private readonly port: number,
    private readonly ca: Buffer,
    private readonly localAddress: string,
  ) {}

  request(method: string, urlPath: string, body?: object, extraHeaders: Record<string, string> = {}): Promise<Answer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const xsrf = this.cookies.get("XSRF-TOKEN");
    const headers: Record<string, string> = {
      Host: HOST,
      Accept: "application/json",
      ...(this.cookies.size ? { Cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ") } : {}),
      ...(xsrf && method !== "GET" ? { "X-XSRF-TOKEN": decodeURIComponent(xsrf) } : {}),
      ...(payload ? { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(payload)) } : {}),
      ...extraHeaders,
    };
    return new Promise((resolve, reject) => {
      const req = https.request({ host: "127.0.0.1", port: this.port, servername: HOST, ca: this.ca, localAddress: this.localAddress, method, path: urlPath, headers }, (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => {
          for (const line of res.headers["set-cookie"] ?? []) {
            this.setCookieLines.push(line);
            const [pair] = line.split(";");
            const name = pair.slice(0, pair.indexOf("="));
            const value = pair.slice(pair.indexOf("=") + 1);
            if (value === "" || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
            else this.cookies.set(name, value);
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text && /json/.test(String(res.headers["content-type"])) ? JSON.parse(text) : {} });
        });
      });
      req.on("error", reject);
      req.end(payload);
    });
  }

  async init() {
    const res = await this.request("GET", "/auth/csrf");
    expect(res.status).toBe(204);
    return this;
  }
}

describeWithNginx("production build behind nginx over TLS (deploy/nginx.conf)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "twofa-tls-"));
  let app: ChildProcess;
  let nginx: ChildProcess;
  let appLog = "";
  let proxyPort: number;
  let httpPort: number;
  let cert: Buffer;
  const browser = (ip: string) => new Browser(proxyPort, cert, ip).init();

  beforeAll(async () => {
    // the production build of the server, as `npm start` and the image make it (skipped when current)
    const build = spawnSync(process.execPath, [path.join(REPO_ROOT, "scripts/build.mjs"), "--only=backend"], { cwd: REPO_ROOT, encoding: "utf8", timeout: 300_000 });
    if (build.status !== 0) throw new Error(`backend build failed:\n${build.stdout}\n${build.stderr}`);

    fs.chmodSync(dir, 0o755); // nginx's workers may run as another user
    const certFile = path.join(dir, "cert.pem");
    const keyFile = path.join(dir, "key.pem");
    const openssl = spawnSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${HOST}`, "-addext", `subjectAltName=DNS:${HOST}`, "-keyout", keyFile, "-out", certFile],
      { encoding: "utf8" },
    );
    if (openssl.status !== 0) throw new Error(`openssl failed: ${openssl.stderr}`);
    cert = fs.readFileSync(certFile);

    const appPort = await freePort();
    proxyPort = await freePort();
    httpPort = await freePort();
    const env = {
      PATH: process.env.PATH,
      ...PRODUCTION_ENV,
      DATABASE_URL: await createTestDatabase(),
      SMTP_URL: "",
      MAIL_TRANSPORT: "file",
      MAIL_DIR: path.join(dir, "mail"),
      APP_URL: `https://${HOST}`,
      TRUST_PROXY: "1",
      HOST: "127.0.0.1",
      PORT: String(appPort),
      RATE_LIMIT_IP_MAX: String(IP_LIMIT),
      LOG_LEVEL: "warn",
    };
    app = spawn(process.execPath, [path.join(REPO_ROOT, "backend/dist/main.js")], { env, stdio: ["ignore", "pipe", "pipe"] });
    app.stdout!.on("data", (d) => (appLog += d));
    app.stderr!.on("data", (d) => (appLog += d));
    await waitFor("the app", async () => (await fetch(`http://127.0.0.1:${appPort}/healthz`)).ok, app, () => appLog);

    // deploy/nginx.conf as written, with this test's ports, certificate and host
    const site = fs
      .readFileSync(path.join(REPO_ROOT, "deploy/nginx.conf"), "utf8")
      .replace(/^\s*listen \[::\].*$/gm, "")
      .replace("listen 80;", `listen 127.0.0.1:${httpPort};`)
      .replace("listen 443 ssl;", `listen 127.0.0.1:${proxyPort} ssl;`)
      .replace(/ssl_certificate .*;/, `ssl_certificate ${certFile};`)
      .replace(/ssl_certificate_key .*;/, `ssl_certificate_key ${keyFile};`)
      .replace("proxy_pass http://127.0.0.1:3000;", `proxy_pass http://127.0.0.1:${appPort};`);
    expect(site).toContain(`proxy_pass http://127.0.0.1:${appPort};`);
    fs.writeFileSync(path.join(dir, "twofa.conf"), site);
    const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `${t}_temp_path ${path.join(dir, `${t}_temp`)};`).join("\n  ");
    fs.writeFileSync(
      path.join(dir, "nginx.conf"),
      `daemon off;\nworker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log warn;\nevents { worker_connections 256; }\nhttp {\n  access_log off;\n  ${temp}\n  include ${dir}/twofa.conf;\n}\n`,
    );
    const check = spawnSync(NGINX!, ["-t", "-p", dir, "-c", path.join(dir, "nginx.conf")], { encoding: "utf8" });
    if (check.status !== 0) throw new Error(`nginx -t: ${check.stderr}`);
    nginx = spawn(NGINX!, ["-p", dir, "-c", path.join(dir, "nginx.conf")], { stdio: ["ignore", "ignore", "pipe"] });
    let nginxLog = "";
    nginx.stderr!.on("data", (d) => (nginxLog += d));
    await waitFor(
      "nginx",
      () => new Promise((resolve) => net.connect(proxyPort, "127.0.0.1").on("connect", function (this: net.Socket) { this.destroy(); resolve(true); }).on("error", () => resolve(false))),
      nginx,
      () => nginxLog,
    );
  }, 360_000);

  afterAll(async () => {
    for (const child of [nginx, app]) {
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("register, turn on the authenticator app, log in with a code: over https, Secure cookies, HSTS", async () => {
    const email = uniqueEmail("tls");
    const owner = await browser("127.0.0.2");
    const registered = await owner.request("POST", "/auth/register", { email, password: PASSWORD });
    expect(registered.status).toBe(201);
    expect(registered.headers["strict-transport-security"]).toMatch(/max-age=\d{7,}/);
    const setup = await owner.request("POST", "/auth/2fa/setup", {});
    expect(setup.status).toBe(200);
    const secret = setup.body.secret as string;
    expect((await owner.request("POST", "/auth/2fa/enable", { token: generateTotp(secret, Date.now()) })).status).toBe(200);

    const laptop = await browser("127.0.0.2");
    const login = await laptop.request("POST", "/auth/login", { email, password: PASSWORD });
    expect([login.status, login.body.requires2FA]).toEqual([200, true]);
    // the next step's code (the enabling one is spent), inside the ±1 step window
    const verified = await laptop.request("POST", "/auth/2fa/verify-login", { code: generateTotp(secret, Date.now() + 30_000) });
    expect(verified.status).toBe(200);
    const me = await laptop.request("GET", "/auth/me");
    expect([me.status, me.body.email]).toEqual([200, email]);
    expect(me.headers["strict-transport-security"]).toMatch(/max-age=\d{7,}/);

    const lines = [...owner.setCookieLines, ...laptop.setCookieLines];
    for (const name of ["XSRF-TOKEN", "access_token", "refresh_token", "twofa_token"]) expect(lines.some((l) => l.startsWith(`${name}=`))).toBe(true);
    expect(lines.filter((l) => !/;\s*Secure/i.test(l))).toEqual([]);
  });

  test("per-IP limits are keyed on the client's address as nginx saw it, not on the proxy's or a header the client sends", async () => {
    const attacker = await browser("127.0.0.3");
    const spoof = { "X-Forwarded-For": "10.9.8.7" }; // nginx replaces it
    const answers: number[] = [];
    for (let i = 0; i <= IP_LIMIT; i++) answers.push((await attacker.request("POST", "/auth/login", { email: uniqueEmail("nobody"), password: "wrong password here" }, spoof)).status);
    expect(answers).toEqual([...Array(IP_LIMIT).fill(401), 429]);
    // another client address behind the same proxy is not limited
    const bystander = await browser("127.0.0.4");
    expect((await bystander.request("POST", "/auth/login", { email: uniqueEmail("nobody"), password: "wrong password here" })).status).toBe(401);
  });

  test("plain http is only a redirect to https: it never reaches the app", async () => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/auth/login`, { method: "POST", redirect: "manual" });
    expect([res.status, res.headers.get("location"), res.headers.get("set-cookie")]).toEqual([301, `https://${HOST}/auth/login`, null]);
  });
});
