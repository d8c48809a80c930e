// argon2id throughput with the backend's own parameters (OWASP: m=19456 KiB, t=2, p=1), in this
// process: each operation runs on libuv's thread pool (UV_THREADPOOL_SIZE, default 4), so the
// ceiling is the number of cores, here the figure that bounds every password login.
import { backend, log, require } from "../lib/util.js";

const argon2 = require("argon2");
const { ARGON2_OPTIONS, hashPassword } = backend("auth/password.js");

async function measure(op, concurrency, seconds, fn) {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  let totalMs = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await fn();
        totalMs += performance.now() - t;
        done++;
      }
    }),
  );
  const elapsed = seconds + 0; // the loops stop at the deadline (the last op may overrun slightly)
  return { op, concurrency, perSecond: done / elapsed, meanMs: totalMs / done, ops: done };
}

export async function runArgon2({ seconds = 3 } = {}) {
  const hash = await hashPassword("bench password that is long enough");
  if (!hash.startsWith(`$argon2id$v=19$m=${ARGON2_OPTIONS.memoryCost},t=${ARGON2_OPTIONS.timeCost},p=${ARGON2_OPTIONS.parallelism}$`)) {
    throw new Error(`unexpected argon2 parameters: ${hash.slice(0, 40)}`);
  }
  const out = [];
  for (const concurrency of [1, 2, 4]) {
    const r = await measure("verify", concurrency, seconds, () => argon2.verify(hash, "bench password that is long enough"));
    out.push(r);
    log(`argon2id verify c=${concurrency}: ${r.perSecond.toFixed(1)}/s, ${r.meanMs.toFixed(1)} ms each`);
  }
  const h = await measure("hash", 2, seconds, () => hashPassword("bench password that is long enough"));
  out.push(h);
  log(`argon2id hash c=2: ${h.perSecond.toFixed(1)}/s, ${h.meanMs.toFixed(1)} ms each`);
  return out;
}
