// The dispatch from a second-factor proof to its factor (./factor.ts): ONE table, used by the
// login's code step (./verify-login.ts) and by every step-up (./step-up.ts).
import { AppError } from "../http/errors";
import type { Factor, SecondFactorProof } from "./factor";
import { totpFactor } from "./totp/verify";
import { backupCodeFactor } from "./backup-codes/verify";
import { passkeyFactor } from "./passkey/verify";
import type { AuthenticationResponseBody } from "./passkey/passkey.schemas";

type ProofKey<P> = P extends unknown ? keyof P & string : never;
export type ProofKind = ProofKey<SecondFactorProof>;
type ProofOf<K extends ProofKind> = Extract<SecondFactorProof, Record<K, unknown>>;

/**
 * One factor per proof field; a new factor plugs in here. Built on first use: the factors'
 * modules import the services that call back into this one (a cycle at load time).
 */
let factors: { [K in ProofKind]: Factor<ProofOf<K>> } | undefined;
const FACTORS = () => (factors ??= { code: totpFactor, backupCode: backupCodeFactor, passkey: passkeyFactor });

const PROOF_KINDS: readonly ProofKind[] = ["code", "backupCode", "passkey"];

export function proofKind(proof: SecondFactorProof): ProofKind {
  const kind = PROOF_KINDS.find((k) => k in proof);
  if (!kind) throw new AppError("VALIDATION_FAILED");
  return kind;
}

export const factorFor = (proof: SecondFactorProof) => FACTORS()[proofKind(proof)] as Factor<SecondFactorProof>;

/** The second factor a body carries ({code} | {backupCode} | {passkey}; the schemas allow at most one), or undefined. */
export function secondFactorOf(body: { code?: string; backupCode?: string; passkey?: AuthenticationResponseBody }): SecondFactorProof | undefined {
  if (body.code !== undefined) return { code: body.code };
  if (body.backupCode !== undefined) return { backupCode: body.backupCode };
  if (body.passkey !== undefined) return { passkey: body.passkey };
  return undefined;
}

/** How a proof is named in audit details ("password+code", ...). */
export const PROOF_NAMES: Record<ProofKind, "code" | "backup_code" | "passkey"> = { code: "code", backupCode: "backup_code", passkey: "passkey" };
export const proofName = (proof: SecondFactorProof) => PROOF_NAMES[proofKind(proof)];
