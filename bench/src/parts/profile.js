// Where each request's time goes (issue 12): every hot scenario is run against a fresh API
// process and a fresh reference process, each started with `node --cpu-prof`; the profile is
// summed by package (lib/profile.js) and divided by the number of requests the process served,
// so the table reads "µs of the API's CPU per request, by what it was spent in".
import fs from "node:fs";
import path from "node:path";
import { prepareTarget, renewRefreshSessions, requestsFor, runLoad } from "../lib/load.js";
import { OUTPUT_DIR, serverEnv, startServer } from "../lib/servers.js";
import { summarizeProfile } from "../lib/profile.js";
import { fmt, log, mdTable } from "../lib/util.js";

const SCENARIOS = ["me", "refresh", "verify"];
const PORT = 3911;

export async function runProfile(ctx) {
  const { database, pools, plainUsers, opts } = ctx;
  const results = [];
  for (const scenario of SCENARIOS) {
    for (const kind of ["ours", "reference"]) {
      const dir = path.join(OUTPUT_DIR, "prof", `${scenario}-${kind}`);
      fs.rmSync(dir, { recursive: true, force: true });
      const server = await startServer(`profile-${scenario}-${kind}`, {
        kind,
        port: PORT,
        env: serverEnv({ port: PORT, databaseUrl: database.url }),
        nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${dir}`],
      });
      let served = 0;
      try {
        await prepareTarget(server, plainUsers);
        served += server.sessions.length; // the logins above
        for (const seconds of [5, opts.duration]) {
          if (scenario === "verify") await pools.challenges.ensure(2500 * (seconds + 1));
          if (scenario === "refresh") await renewRefreshSessions(server, 16);
          const r = await runLoad({ port: PORT, requests: requestsFor(scenario, server, pools), connections: 16, duration: seconds });
          served += r.sent;
        }
      } finally {
        await server.stop();
      }
      const file = fs.readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
      const { busyMs, rows } = summarizeProfile(path.join(dir, file));
      results.push({ scenario, server: kind, requests: served, busyMs, usPerRequest: (busyMs * 1000) / served, rows: rows.map((r) => ({ ...r, us: (r.ms * 1000) / served })) });
      log(`profile ${scenario.padEnd(8)} ${kind.padEnd(9)}: ${fmt((busyMs * 1000) / served, 0)} µs of CPU per request over ${served} requests`);
    }
  }
  return { results, markdown: renderProfile(results) };
}

function renderProfile(results) {
  const out = ["### Where each request's time goes (node --cpu-prof, µs of the server's CPU per request)", ""];
  out.push(
    "One fresh process per scenario and server, 16 connections: a 5-s warm-up and the measured run (plus the logins that made the sessions) are all in the profile; " +
      "self time is summed by the package it was spent in (time in Node or native code counts for the package that called it). " +
      "`Node http/net` includes the write system call of each response.",
    "",
  );
  for (const scenario of SCENARIOS) {
    const ours = results.find((r) => r.scenario === scenario && r.server === "ours");
    const ref = results.find((r) => r.scenario === scenario && r.server === "reference");
    if (!ours || !ref) continue;
    const cats = [...new Set([...ours.rows, ...ref.rows].map((r) => r.category))];
    const us = (set, c) => set.rows.find((r) => r.category === c)?.us ?? 0;
    cats.sort((a, b) => us(ours, b) - us(ours, a));
    const rows = cats.filter((c) => us(ours, c) >= 1 || us(ref, c) >= 1).map((c) => [c, fmt(us(ours, c), 0), `${fmt((100 * us(ours, c)) / ours.usPerRequest, 0)} %`, fmt(us(ref, c), 0)]);
    rows.push(["**total**", `**${fmt(ours.usPerRequest, 0)}**`, "100 %", `**${fmt(ref.usPerRequest, 0)}**`]);
    out.push(`**${scenario}** (${fmt(ours.requests)} / ${fmt(ref.requests)} requests)`, "", mdTable(["spent in", "ours µs/req", "share", "reference µs/req"], rows), "");
  }
  return out;
}
