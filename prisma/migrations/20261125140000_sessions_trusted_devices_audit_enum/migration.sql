-- CreateEnum
CREATE TYPE "AuthMethod" AS ENUM ('password', 'totp', 'backup_code', 'trusted_device', 'passkey');

-- CreateEnum
CREATE TYPE "AuditEventType" AS ENUM ('REGISTERED', 'LOGIN_SUCCESS', 'LOGIN_FAILURE', 'LOGOUT', 'TWOFA_SETUP_STARTED', 'TWOFA_ENABLED', 'TWOFA_DISABLED', 'TWOFA_VERIFY_SUCCESS', 'TWOFA_VERIFY_FAILURE', 'TOTP_REPLAY', 'BACKUP_CODE_USED', 'BACKUP_CODES_REGENERATED', 'TWOFA_LOCKED', 'PASSWORD_PROOF_FAILURE', 'SESSIONS_REVOKED', 'SESSION_REVOKED', 'REFRESH_TOKEN_REUSE', 'TRUSTED_DEVICE_ADDED', 'TRUSTED_DEVICE_REMOVED');

-- AlterTable (hand-edited: Prisma's diff drops and re-adds the column, losing every event;
-- every stored value is one of the enum's labels, so convert in place)
ALTER TABLE "AuditEvent" ALTER COLUMN "type" TYPE "AuditEventType" USING "type"::"AuditEventType";

-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "revokedAt" TIMESTAMP(3),
    "revokedReason" TEXT,
    "ip" TEXT,
    "userAgent" TEXT,
    "authMethod" "AuthMethod" NOT NULL,
    "authTime" TIMESTAMP(3) NOT NULL,
    "refreshGeneration" INTEGER NOT NULL DEFAULT 0,
    "rotatedAt" TIMESTAMP(3),
    "trustedDeviceId" TEXT,

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TrustedDevice" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "userAgent" TEXT,
    "ip" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TrustedDevice_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Session_userId_idx" ON "Session"("userId");

-- CreateIndex
CREATE INDEX "Session_expiresAt_idx" ON "Session"("expiresAt");

-- CreateIndex
CREATE INDEX "TrustedDevice_userId_idx" ON "TrustedDevice"("userId");

-- CreateIndex
CREATE INDEX "TrustedDevice_expiresAt_idx" ON "TrustedDevice"("expiresAt");

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TrustedDevice" ADD CONSTRAINT "TrustedDevice_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

