// Command-line options of `npm run bench` (see the header of run.js).
export const PARTS = ["login", "login2fa", "verify", "refresh", "me", "roundtrips", "profile", "crypto", "scaleout", "faults"];
const ALIASES = { argon2: "crypto" };

export function parseArgs(argv) {
  const env = process.env;
  const numeric = (v) => (v !== undefined && /^\d+(,\d+)*$/.test(String(v)) ? String(v) : undefined);
  const opts = {
    only: env.BENCH_ONLY,
    // `npm run bench -- --duration=3` at the root arrives as npm_config_duration
    duration: numeric(env.BENCH_DURATION) ?? numeric(env.npm_config_duration),
    connections: numeric(env.BENCH_CONNECTIONS) ?? numeric(env.npm_config_connections),
  };
  const parts = [];
  const bareNumbers = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i].replace(/^--/, "");
    const [k, v] = a.includes("=") ? a.split("=") : [a, argv[i + 1] !== undefined && !argv[i + 1].startsWith("--") ? argv[++i] : undefined];
    if (k === "only") parts.push(...String(v ?? "").split(","));
    else if (k === "duration" || k === "connections") opts[k] = v;
    else if (PARTS.includes(k) || k in ALIASES) {
      parts.push(k);
      if (v !== undefined) i--; // a bare word took the next one as its value: give it back
    } else if (/^\d+$/.test(k)) bareNumbers.push(k); // `--duration 2` at the root: npm keeps the flag, passes "2"
    else throw new Error(`unknown argument "${argv[i]}"; parts: ${PARTS.join(", ")}; options: only=a,b duration=N connections=1,16,64`);
  }
  if (env.npm_config_duration === "true" && bareNumbers.length) opts.duration = bareNumbers[0];
  if (!parts.length && opts.only) parts.push(...String(opts.only).split(","));
  const only = (parts.length ? parts : PARTS).map((s) => ALIASES[s.trim()] ?? s.trim()).filter(Boolean);
  for (const p of only) if (!PARTS.includes(p)) throw new Error(`unknown part "${p}"; choose from ${PARTS.join(", ")}`);
  return {
    only: new Set(only),
    duration: Number(opts.duration ?? 5),
    connections: (opts.connections ? String(opts.connections) : "1,16,64").split(",").map(Number),
  };
}
