// The backup-code login verifier on its own (no database): the burn it hands to verify-login's
// consume statement, and why it refuses. Through HTTP: two-factor.rules.test.ts (rule 6).
import { Prisma } from "@prisma/client";
import type { Context } from "../../context";
import type { LoadedChallenge } from "../factor";
import { hashBackupCode } from "./backup-codes";
import { backupCodeFactor } from "./verify";

const KEY = "backup-code-key-for-this-test-0123456789";
const now = Date.UTC(2026, 10, 25, 12, 0, 0);
const ctx = (spentCount = 0) => ({ config: { backupCodeKey: KEY }, db: { backupCode: { count: async () => spentCount } } }) as unknown as Context;
const challenge: LoadedChallenge = {
  id: "challenge-1",
  userId: "user-1",
  expiresAt: new Date(now + 60_000),
  consumedAt: null,
  failedAttempts: 0,
  lockedUntil: null,
  webauthnChallenge: null,
  totp: null,
  passkeys: 1,
};
const verify = (backupCode: string, context = ctx()) => backupCodeFactor.verify({ ctx: context, user: challenge, site: { kind: "login", challenge }, proof: { backupCode }, meta: { ip: null, userAgent: null }, nowMs: now });

test("a well-formed code is accepted for a burn guarded on usedAt IS NULL (typed in any case, with spaces)", async () => {
  const verdict = await verify(" ABCD efgh ");
  if (!("accepted" in verdict)) throw new Error("refused");
  expect(verdict.accepted.method).toBe("backup_code");
  const spend = verdict.accepted.spend(Prisma.sql`TRUE`);
  expect(spend.sql).toMatch(/UPDATE "BackupCode" SET "usedAt" = .* AND "usedAt" IS NULL/s);
  expect(spend.values).toEqual(expect.arrayContaining(["user-1", hashBackupCode(KEY, "abcd-efgh")]));
  // the audit row and the "backup code used" mail go in the same statement, only on success
  const extra = verdict.accepted.alsoWrite!(Prisma.sql`EXISTS (SELECT 1 FROM u)`);
  expect(extra.map((e) => e.sql.split(" AS ")[0])).toEqual(["bc_audit", "bc_mail"]);
});

test("a malformed code is refused without a burn", async () => {
  expect(await verify("not-a-code!")).toEqual({ refused: { type: "TWOFA_VERIFY_FAILURE", detail: { method: "backup_code" }, refusal: undefined } });
});

test("the burn matched nothing: a spent code says backup_code_used, an unknown one just wrong", async () => {
  for (const [spent, refusal] of [[1, { reason: "backup_code_used" }], [0, undefined]] as const) {
    const verdict = await verify("abcd-efgh", ctx(spent));
    if (!("accepted" in verdict)) throw new Error("refused");
    expect(await verdict.accepted.lostRace()).toEqual({ type: "TWOFA_VERIFY_FAILURE", detail: { method: "backup_code" }, refusal });
  }
});
