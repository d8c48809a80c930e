-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "AuditEventType" ADD VALUE 'ADMIN_TWOFA_RESET';
ALTER TYPE "AuditEventType" ADD VALUE 'ACCOUNT_UNLOCKED';

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "twoFactorSetupRequired" BOOLEAN NOT NULL DEFAULT false;

