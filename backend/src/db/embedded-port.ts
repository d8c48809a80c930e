// Which port the embedded PostgreSQL of a data folder listens on.
//
// A fixed default made two checkouts on one machine fight over it. Now: EMBEDDED_PG_PORT when
// set; otherwise the port remembered for the folder in `<folder>.port` (.data/pg.port); on the
// first start a free one is picked — 54320 if free, else the next free one up to 54399, else
// one the system hands out — and remembered, so tools pointed at it keep working. If another
// program has since taken the remembered port, a new one is picked and remembered (said in the
// log). A server already running on the folder (the app, while a CLI joins it; an orphan to stop)
// keeps its port.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { inspectDataDir } from "./embedded";

export const FIRST_EMBEDDED_PG_PORT = 54320;
const LAST_PREFERRED_PORT = 54399;

export interface EmbeddedPort {
  port: number;
  /** EMBEDDED_PG_PORT; remembered from an earlier start; picked (and remembered) by this start */
  source: "EMBEDDED_PG_PORT" | "remembered" | "picked";
  /** where the port is remembered */
  file: string;
}

/** `.data/pg` → `.data/pg.port` */
export const portFilePath = (dataDir: string) => `${path.resolve(dataDir)}.port`;

/** Whether nothing listens on host:port (PostgreSQL listens on 127.0.0.1 only). */
export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The first free port from `from` to 54399, else one the system hands out. */
export async function findFreePort(from = FIRST_EMBEDDED_PG_PORT, avoid: number[] = []): Promise<number> {
  for (let port = from; port <= Math.max(from, LAST_PREFERRED_PORT); port++) {
    if (!avoid.includes(port) && (await isPortFree(port))) return port;
  }
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function readRememberedPort(dataDir: string): number | undefined {
  try {
    const port = Number(fs.readFileSync(portFilePath(dataDir), "utf8").trim());
    return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
  } catch {
    return undefined;
  }
}

function remember(dataDir: string, port: number) {
  fs.mkdirSync(path.dirname(path.resolve(dataDir)), { recursive: true });
  fs.writeFileSync(portFilePath(dataDir), `${port}\n`);
}

export async function resolveEmbeddedPort(dataDir: string, explicit: number | undefined, log: (m: string) => void = () => {}): Promise<EmbeddedPort> {
  const file = portFilePath(dataDir);
  if (explicit !== undefined) return { port: explicit, source: "EMBEDDED_PG_PORT", file };
  const remembered = readRememberedPort(dataDir);
  const state = inspectDataDir(dataDir);
  if (state.kind === "running") {
    // the folder's own server holds the port: it is not "taken by another program"
    const port = remembered ?? state.server.port;
    if (remembered === undefined) remember(dataDir, port);
    return { port, source: "remembered", file };
  }
  if (remembered !== undefined) {
    if (await isPortFree(remembered)) return { port: remembered, source: "remembered", file };
    const port = await findFreePort(FIRST_EMBEDDED_PG_PORT, [remembered]);
    remember(dataDir, port);
    log(`port ${remembered} of the embedded PostgreSQL is now used by another program: using port ${port} from now on (remembered in ${path.basename(file)}; EMBEDDED_PG_PORT chooses one)`);
    return { port, source: "picked", file };
  }
  const port = await findFreePort();
  remember(dataDir, port);
  return { port, source: "picked", file };
}
