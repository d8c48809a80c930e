-- DESIGN §6 rules 19 and 20: the drift a login's refused codes showed, and the re-enrolment link.

-- AlterEnum
ALTER TYPE "AuditEventType" ADD VALUE 'ENROLMENT_LINK_SENT';

-- AlterTable
ALTER TABLE "LoginChallenge" ADD COLUMN     "driftSeconds" INTEGER;

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "enrolmentLinkSentAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "EnrolmentLink" (
    "tokenHash" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "EnrolmentLink_pkey" PRIMARY KEY ("tokenHash")
);

-- CreateIndex
CREATE INDEX "EnrolmentLink_userId_idx" ON "EnrolmentLink"("userId");

-- AddForeignKey
ALTER TABLE "EnrolmentLink" ADD CONSTRAINT "EnrolmentLink_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
