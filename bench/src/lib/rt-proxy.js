// A TCP proxy in front of PostgreSQL that counts SQL round trips by reading the wire
// protocol: every round trip ends with the client's Sync ('S', extended protocol, what pg and
// Prisma's adapter send) or is a simple Query ('Q'); the client then waits for ReadyForQuery.
// Measured, not assumed: whatever the ORM does (BEGIN/COMMIT, extra reads) shows up here.
import net from "node:net";

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

export async function startRoundTripProxy(targetPort, listenPort = 0) {
  const counts = { roundTrips: 0, connections: 0 };
  const sockets = new Set();
  const server = net.createServer((client) => {
    counts.connections++;
    const upstream = net.connect(targetPort, "127.0.0.1");
    sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    let startup = true;
    client.on("data", (chunk) => {
      upstream.write(chunk);
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let off = 0;
      for (;;) {
        if (startup) {
          // untyped startup packets: int32 length, int32 code
          if (pending.length - off < 8) break;
          const len = pending.readInt32BE(off);
          if (pending.length - off < len) break;
          const code = pending.readInt32BE(off + 4);
          off += len;
          if (code !== SSL_REQUEST && code !== GSSENC_REQUEST && code !== CANCEL_REQUEST) startup = false;
          continue;
        }
        if (pending.length - off < 5) break;
        const type = pending[off];
        const len = pending.readInt32BE(off + 1);
        if (pending.length - off < 1 + len) break;
        if (type === 0x53 /* S: Sync */ || type === 0x51 /* Q: simple query */) counts.roundTrips++;
        off += 1 + len;
      }
      pending = off >= pending.length ? Buffer.alloc(0) : pending.subarray(off);
    });
    upstream.on("data", (d) => client.write(d));
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  await new Promise((r) => server.listen(listenPort, "127.0.0.1", r));
  return {
    port: server.address().port,
    counts,
    reset() {
      counts.roundTrips = 0;
      counts.connections = 0;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
