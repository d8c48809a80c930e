// The TOTP factor ({code}), at the login's code step and as a step-up proof. Accepted: a code of
// the user's confirmed secret within the window whose step is newer than the credential's
// lastStep — and the spend statement re-checks that step under the row lock (RFC 6238 §5.2), so
// two requests with one code cannot both pass. Refused: a wrong code (with a clock-drift hint when
// it is the code of a step 2–10 steps away: the login's answer never says it, rule 19), or a
// replay (TOTP_REPLAY).
import { Prisma } from "@prisma/client";
import { describeReplay, driftRefusal } from "../../security/code-refusal";
import type { Factor, FactorInput, Refusal } from "../factor";
import { sqlSpendTotpStep, TOTP_NOT_ON } from "./totp-credential";
import { verifyTotp } from "./totp";

export const totpFactor: Factor<{ code: string }> = {
  async verify(input) {
    const { ctx, user, site, proof, nowMs } = input;
    const credential = user.totp;
    if (!credential) {
      // A passkey-only account has no code to give: at login a wrong answer like any other; as a
      // step-up the client asked for something the account does not have (not a guess: not counted).
      if (site.kind === "step_up") throw TOTP_NOT_ON();
      return { refused: { type: "TWOFA_VERIFY_FAILURE", detail: { method: "totp" } } };
    }
    const secret = ctx.secretBox.decrypt(credential.secret);
    const window = ctx.config.totp.window;
    const accepted = verifyTotp(secret, proof.code, nowMs, window);
    if (!accepted) return { refused: { type: "TWOFA_VERIFY_FAILURE", detail: { method: "totp" }, refusal: driftRefusal(secret, proof.code, nowMs, window) } };
    const replay = (race?: true) => replayRefusal(input, accepted.step, race);
    if (credential.lastStep !== null && accepted.step <= credential.lastStep) return { refused: await replay() };
    // Key rotation: a secret still under an older key is re-encrypted under the current one by the
    // same statement (only when it is the value we just read).
    const reencrypt = ctx.secretBox.needsReencryption(credential.secret)
      ? Prisma.sql`, "secret" = CASE WHEN "secret" = ${credential.secret} THEN ${ctx.secretBox.encrypt(secret)} ELSE "secret" END`
      : Prisma.empty;
    return {
      accepted: {
        method: "totp",
        spend: (when) => sqlSpendTotpStep({ credentialId: credential.id, step: accepted.step, nowMs, when, set: reencrypt }),
        lostRace: () => replay(true),
      },
    };
  },
};

async function replayRefusal(input: FactorInput<unknown>, step: number, race?: true): Promise<Refusal> {
  const { ctx, user, meta, nowMs } = input;
  const replay = await describeReplay(ctx, { userId: user.userId, meta, step, lastStep: user.totp?.lastStep ?? null, nowMs });
  return { type: "TOTP_REPLAY", detail: { method: "totp", ...replay.detail, ...(race ? { race } : {}) }, refusal: replay.refusal };
}
