// nginx (from apt) in front of API instances, started by the bench itself: its own config under
// bench/output/nginx/, a bench-owned 127.0.0.1 port, run in the foreground (`daemon off;`) as a
// child process with `-p <prefix> -c <conf> -e <error log>`, pid file, logs and temp paths all
// under that prefix; nothing under /etc/nginx or /var is read or written. stop() sends SIGTERM
// (nginx's fast shutdown; the master waits for its worker), SIGKILL after 10 s.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { stopChild } from "./infra.js";
import { OUTPUT_DIR } from "./servers.js";
import { REPO_ROOT, request, waitFor } from "./util.js";

export const NGINX_MISSING = "nginx not installed (apt-get install nginx)";

/** The nginx binary (PATH, then /usr/sbin for a non-root PATH), or null. */
export function findNginx() {
  const dirs = [...(process.env.PATH ?? "").split(":").filter(Boolean), "/usr/sbin", "/usr/local/sbin"];
  for (const dir of dirs) {
    const file = path.join(dir, "nginx");
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      /* not here */
    }
  }
  return null;
}

export function nginxVersion(bin) {
  // `nginx -v` prints "nginx version: nginx/1.22.1" on stderr
  const r = spawnSync(bin, ["-v"], { encoding: "utf8" });
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().replace(/^nginx version:\s*/, "");
}

/**
 * The config: one worker (the box has 2 cores shared with the API instances, PostgreSQL and the
 * load generator), round-robin `upstream` over the instances with idle keep-alive connections
 * kept to them, X-Forwarded-For appended (the instances run with TRUST_PROXY=1, so req.ip is the
 * address nginx saw, and a header the client sent itself is not believed), and X-Upstream on
 * every answer naming the instance that served it. No retries to the other instance
 * (proxy_next_upstream off): a verify-login must never be sent twice.
 */
export function nginxConfig({ prefix, port, upstreams, keepalive = 64 }) {
  const p = (f) => path.join(prefix, f);
  return `# written by bench/src/lib/nginx.js for one bench run; do not edit
daemon off;
master_process on;
worker_processes 1;
pid ${p("nginx.pid")};
error_log ${p("error.log")} warn;

events {
  worker_connections 4096;
}

http {
  log_format upstream '$remote_addr "$request" $status $body_bytes_sent $request_time $upstream_addr $upstream_response_time';
  access_log ${p("access.log")} upstream buffer=64k flush=1s;
  client_body_temp_path ${p("tmp/body")};
  proxy_temp_path ${p("tmp/proxy")};
  fastcgi_temp_path ${p("tmp/fastcgi")};
  uwsgi_temp_path ${p("tmp/uwsgi")};
  scgi_temp_path ${p("tmp/scgi")};
  server_tokens off;
  keepalive_requests 100000;
  keepalive_timeout 75s;

  upstream twofa_api {
${upstreams.map((u) => `    server 127.0.0.1:${u};`).join("\n")}
    keepalive ${keepalive};
    keepalive_requests 100000;
    keepalive_timeout 60s;
  }

  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://twofa_api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_next_upstream off;
      proxy_connect_timeout 5s;
      proxy_read_timeout 30s;
      add_header X-Upstream $upstream_addr always;
    }
  }
}
`;
}

/** Starts nginx in front of the given instance ports; resolves once /healthz answers through it. */
export async function startNginx({ bin, name = "nginx", port, upstreams }) {
  const prefix = path.join(OUTPUT_DIR, name);
  fs.rmSync(prefix, { recursive: true, force: true });
  fs.mkdirSync(path.join(prefix, "tmp"), { recursive: true });
  const conf = path.join(prefix, "nginx.conf");
  fs.writeFileSync(conf, nginxConfig({ prefix, port, upstreams }));
  const errorLog = path.join(prefix, "error.log");
  const out = fs.openSync(path.join(prefix, "stderr.log"), "w");
  const child = spawn(bin, ["-p", prefix + "/", "-c", conf, "-e", errorLog], { cwd: prefix, stdio: ["ignore", out, out] });
  fs.closeSync(out);
  let exited = false;
  child.once("exit", () => (exited = true));
  child.on("error", () => (exited = true));
  const rel = (f) => path.relative(REPO_ROOT, f);
  await waitFor(async () => {
    if (exited) throw new Error("exited");
    return (await request(port, { path: "/healthz", timeoutMs: 2000 })).status === 200;
  }, { what: `nginx on port ${port}`, timeoutMs: 20_000 }).catch((err) => {
    child.kill("SIGKILL");
    const why = [errorLog, path.join(prefix, "stderr.log")].map((f) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8").trim() : "")).filter(Boolean).join(" | ");
    throw new Error(`nginx did not come up (${err.message}): ${why || "no output"}; config ${rel(conf)}`);
  });
  return {
    name,
    port,
    pid: child.pid,
    conf: rel(conf),
    prefix: rel(prefix),
    version: nginxVersion(bin),
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: () => stopChild(child, "SIGTERM", 10_000), // fast shutdown: the master waits for its worker
  };
}
