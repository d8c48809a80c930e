// A browser journey is a chain of steps: each builds on the state the previous ones left (a
// logged-in page, an enabled factor). After a failure the later steps are reported as skipped,
// with the reason, instead of failing again for a reason that is not theirs.
import { it } from "node:test";

/**
 * `onFailure` runs once, at the first failing step (screenshots of the windows, say); its own
 * errors are ignored. `journey.failed` tells the `after` hook whether to print the server log.
 */
export function journeySteps(onFailure) {
  const journey = {
    failed: false,
    step: (name, fn) =>
      it(name, async (t) => {
        if (journey.failed) return t.skip("an earlier step failed");
        try {
          await fn();
        } catch (err) {
          journey.failed = true;
          await Promise.resolve()
            .then(onFailure)
            .catch(() => {});
          throw err;
        }
      }),
  };
  return journey;
}
