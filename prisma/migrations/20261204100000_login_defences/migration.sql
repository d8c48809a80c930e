-- Issue 18, login defences (DESIGN §6 rules 16-18): the per-email wrong-password count moves
-- from the rate-limit store into PostgreSQL ("LoginBudget", keyed by the email's SHA-256), device
-- cookies get their rows ("DeviceCookie"), and a lock that engages is audited (LOGIN_LOCKED).
-- Authored with `prisma migrate diff --from-schema-datamodel <previous schema> --to-schema-datamodel
-- prisma/schema.prisma --script`.

-- AlterEnum
ALTER TYPE "AuditEventType" ADD VALUE 'LOGIN_LOCKED';

-- CreateTable
CREATE TABLE "LoginBudget" (
    "emailHash" TEXT NOT NULL,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "windowStartedAt" TIMESTAMP(3) NOT NULL,
    "notifiedAt" TIMESTAMP(3),

    CONSTRAINT "LoginBudget_pkey" PRIMARY KEY ("emailHash")
);

-- CreateTable
CREATE TABLE "DeviceCookie" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DeviceCookie_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "LoginBudget_windowStartedAt_idx" ON "LoginBudget"("windowStartedAt");

-- CreateIndex
CREATE INDEX "DeviceCookie_userId_idx" ON "DeviceCookie"("userId");

-- CreateIndex
CREATE INDEX "DeviceCookie_expiresAt_idx" ON "DeviceCookie"("expiresAt");

-- AddForeignKey
ALTER TABLE "DeviceCookie" ADD CONSTRAINT "DeviceCookie_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

