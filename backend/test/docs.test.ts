// The README is a guide (quick start, Deploy) and docs/ holds the rest: the configuration table
// lists every variable config.ts reads, the Deploy section covers what an operator must do, and
// every document links only to files of the repository (and to headings that exist).
import fs from "node:fs";
import path from "node:path";
import { CONFIG_VARIABLES, REPO_ROOT } from "../src/config";

const DOCS = ["README.md", "docs/API.md", "docs/CONFIGURATION.md", "docs/SECURITY.md", "docs/DEVELOPMENT.md", "e2e/README.md"];
const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), "utf8");

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, "")
    .replace(/[^\p{L}\p{N} -]/gu, "")
    .replace(/ /g, "-");
const anchorsOf = (markdown: string) => new Set([...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));

describe("README and docs/", () => {
  test("docs/CONFIGURATION.md's table names every variable backend/src/config.ts reads", () => {
    const readme = read("docs/CONFIGURATION.md");
    const table = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("\n## ", readme.indexOf("## Configuration") + 5));
    const missing = CONFIG_VARIABLES.filter((name) => !table.includes(`\`${name}\``));
    expect(CONFIG_VARIABLES.length).toBeGreaterThan(30);
    expect(missing).toEqual([]);
  });

  test("the README's Deploy section covers every step of a production setup, and links every document", () => {
    const readme = read("README.md");
    const deploy = readme.slice(readme.indexOf("## Deploy"), readme.indexOf("\n## ", readme.indexOf("## Deploy") + 5));
    for (const topic of ["npm run secrets", "DATABASE_URL", "SMTP_URL", "deploy/nginx.conf", "TRUST_PROXY", "WEBAUTHN_RP_ID", "REDIS_URL", "METRICS_TOKEN", "pg_dump", "TWOFA_ENCRYPTION_KEYS", "migrations are applied at boot", "docker compose --profile app"]) {
      expect([topic, deploy.includes(topic)]).toEqual([topic, true]);
    }
    for (const doc of DOCS.filter((d) => d !== "README.md")) expect([doc, readme.includes(`](${doc})`)]).toEqual([doc, true]);
  });

  test("docs/SECURITY.md numbers the security rules 1, 2, 3, … without a gap", () => {
    const security = read("docs/SECURITY.md");
    const rules = security.slice(security.indexOf("## How it is secure"), security.indexOf("\n## ", security.indexOf("## How it is secure") + 5));
    const numbers = [...rules.matchAll(/^(\d+)\. \*\*/gm)].map((m) => Number(m[1]));
    expect(numbers.length).toBeGreaterThanOrEqual(15);
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
  });

  test.each(DOCS)("%s links only to files of the repository and to headings that exist", (file) => {
    const text = read(file);
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target)) continue; // http(s): and mailto: links
      const [where, anchor] = target.split("#");
      const resolved = where ? path.resolve(path.dirname(path.join(REPO_ROOT, file)), where) : path.join(REPO_ROOT, file);
      if (!resolved.startsWith(REPO_ROOT + path.sep)) broken.push(`${target} (outside the repository)`);
      else if (!fs.existsSync(resolved)) broken.push(`${target} (no such file)`);
      else if (anchor && resolved.endsWith(".md") && !anchorsOf(fs.readFileSync(resolved, "utf8")).has(anchor)) broken.push(`${target} (no such heading)`);
    }
    expect(broken).toEqual([]);
  });
});
