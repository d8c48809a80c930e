-- Issue 13, factors as credentials: TOTP moves off "User" into "TotpCredential" (confirmed) and
-- "TotpSetup" (pending); passkeys and their WebAuthn challenges get tables. Authored with
-- `prisma migrate diff --from-schema-datamodel <previous schema> --to-schema-datamodel
-- prisma/schema.prisma --script`, then hand-edited: Prisma's diff drops the five User columns
-- first, which would turn 2FA off for every user. Here the new tables are created, the data is
-- copied (same encrypted values: security/encryption.ts reads them as before), and only then
-- are the columns dropped — all in the runner's one transaction.

-- CreateEnum
CREATE TYPE "WebAuthnPurpose" AS ENUM ('registration', 'proof');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "AuditEventType" ADD VALUE 'TOTP_REMOVED';
ALTER TYPE "AuditEventType" ADD VALUE 'PASSKEY_ADDED';
ALTER TYPE "AuditEventType" ADD VALUE 'PASSKEY_RENAMED';
ALTER TYPE "AuditEventType" ADD VALUE 'PASSKEY_REMOVED';
ALTER TYPE "AuditEventType" ADD VALUE 'PASSKEY_COUNTER_ROLLBACK';

-- AlterTable
ALTER TABLE "LoginChallenge" ADD COLUMN     "webauthnChallenge" TEXT;

-- CreateTable
CREATE TABLE "TotpCredential" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "lastStep" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "TotpCredential_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TotpSetup" (
    "userId" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TotpSetup_pkey" PRIMARY KEY ("userId")
);

-- CreateTable
CREATE TABLE "Passkey" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "credentialId" TEXT NOT NULL,
    "publicKey" BYTEA NOT NULL,
    "counter" BIGINT NOT NULL DEFAULT 0,
    "transports" TEXT[],
    "deviceType" TEXT NOT NULL,
    "backedUp" BOOLEAN NOT NULL,
    "aaguid" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "Passkey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebAuthnChallenge" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "purpose" "WebAuthnPurpose" NOT NULL,
    "challenge" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WebAuthnChallenge_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "TotpCredential_userId_key" ON "TotpCredential"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "Passkey_credentialId_key" ON "Passkey"("credentialId");

-- CreateIndex
CREATE INDEX "Passkey_userId_idx" ON "Passkey"("userId");

-- CreateIndex
CREATE INDEX "WebAuthnChallenge_userId_idx" ON "WebAuthnChallenge"("userId");

-- CreateIndex
CREATE INDEX "WebAuthnChallenge_expiresAt_idx" ON "WebAuthnChallenge"("expiresAt");

-- AddForeignKey
ALTER TABLE "TotpCredential" ADD CONSTRAINT "TotpCredential_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TotpSetup" ADD CONSTRAINT "TotpSetup_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Passkey" ADD CONSTRAINT "Passkey_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebAuthnChallenge" ADD CONSTRAINT "WebAuthnChallenge_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Data (hand-written): every user with 2FA on keeps the same secret and the replay guard's last
-- accepted step; createdAt is when 2FA was turned on, if the audit log still says so.
INSERT INTO "TotpCredential" ("id", "userId", "secret", "lastStep", "createdAt")
SELECT 'c' || substr(md5(u."id" || clock_timestamp()::text || random()::text), 1, 24),
       u."id", u."twoFactorSecret", u."twoFactorLastStep",
       COALESCE((SELECT max(a."createdAt") FROM "AuditEvent" a WHERE a."userId" = u."id" AND a."type" = 'TWOFA_ENABLED'), CURRENT_TIMESTAMP)
FROM "User" u
WHERE u."twoFactorEnabled" AND u."twoFactorSecret" IS NOT NULL;

-- A setup still in progress (not yet confirmed, not yet expired) keeps its secret: the phone that
-- already scanned the QR code can still confirm it. Times are UTC (TIMESTAMP(3), as Prisma writes them).
INSERT INTO "TotpSetup" ("userId", "secret", "expiresAt")
SELECT u."id", u."twoFactorPendingSecret", u."twoFactorPendingExpiresAt"
FROM "User" u
WHERE NOT u."twoFactorEnabled" AND u."twoFactorPendingSecret" IS NOT NULL
  AND u."twoFactorPendingExpiresAt" > (now() AT TIME ZONE 'UTC');

-- AlterTable (after the copy)
ALTER TABLE "User" DROP COLUMN "twoFactorEnabled",
DROP COLUMN "twoFactorLastStep",
DROP COLUMN "twoFactorPendingExpiresAt",
DROP COLUMN "twoFactorPendingSecret",
DROP COLUMN "twoFactorSecret";
