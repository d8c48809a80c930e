// Which process holds each TCP connection of a server port (ss -tnp): with node:cluster the
// primary accepts and hands the socket to a worker, so this names the worker that served a
// request (identified by the client's local port). Evidence, not assumption, that a check
// really ran against both instances.
import { execFileSync } from "node:child_process";
import http from "node:http";
import { request } from "./util.js";

export function socketOwners(serverPort) {
  const out = new Map();
  let text = "";
  try {
    text = execFileSync("ss", ["-tnpH", "state", "established", `( sport = :${serverPort} )`], { encoding: "utf8" });
  } catch {
    return out;
  }
  for (const line of text.split("\n")) {
    const m = /127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:(\d+)\s+users:\(\("[^"]*",pid=(\d+)/.exec(line);
    if (m && Number(m[1]) === serverPort) out.set(Number(m[2]), Number(m[3]));
  }
  return out;
}

/**
 * Runs requests each on its own new connection, kept open until all are done, then maps each
 * one to the server process that held its connection. fn(send) → results; send(opts) → response.
 */
export async function onFreshConnections(port, fn) {
  const agents = [];
  const send = (opts) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    return request(port, { ...opts, agent });
  };
  try {
    const responses = await fn(send);
    const owners = socketOwners(port);
    for (const r of [responses].flat()) if (r && typeof r === "object") r.servedBy = owners.get(r.localPort);
    return responses;
  } finally {
    for (const a of agents) a.destroy();
  }
}
