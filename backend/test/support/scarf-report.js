// Runs @scarf/scarf's install-time report the way its postinstall does, from the repository root,
// with the network cut off: prints "NETWORK" if it tried to send anything, else why it stopped.
// The dependency tree is read without scarf's own 3 s timeout, so a slow machine cannot make the
// answer "npm ls failed" instead of the real decision.
"use strict";
const { execFileSync } = require("node:child_process");
const http = require("node:http");
const https = require("node:https");

for (const mod of [http, https]) {
  mod.request = mod.get = () => {
    console.log("NETWORK");
    throw new Error("the network is cut off in this check");
  };
}
const root = process.argv[2];
process.env.INIT_CWD = root;
for (const name of ["SCARF_ANALYTICS", "SCARF_NO_ANALYTICS", "DO_NOT_TRACK"]) delete process.env[name];
const scarf = require(require.resolve("@scarf/scarf", { paths: [root] }));
scarf.getDependencyInfo = () =>
  new Promise((resolve, reject) => {
    const tree = execFileSync("npm", ["ls", "@scarf/scarf", "--json", "--long"], { cwd: root, maxBuffer: 1 << 30 }).toString();
    scarf.processDependencyTreeOutput(resolve, reject)(null, tree, "");
  });
scarf.reportPostInstall().then(
  () => console.log("REPORTED"),
  (err) => console.log(`STOPPED: ${err.message}`),
);
