-- Issue 20, passwordless sign-in with a passkey: whether a passkey is discoverable (credProps at
-- registration; NULL for older keys = unknown, treated as false), and the browser-bound challenge
-- of POST /auth/passkey/options.

-- AlterTable
ALTER TABLE "Passkey" ADD COLUMN     "discoverable" BOOLEAN;

-- CreateTable
CREATE TABLE "PasskeyLoginChallenge" (
    "id" TEXT NOT NULL,
    "challenge" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PasskeyLoginChallenge_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "PasskeyLoginChallenge_expiresAt_idx" ON "PasskeyLoginChallenge"("expiresAt");

