-- AlterTable
ALTER TABLE "User" ADD COLUMN     "twoFactorRequiredSince" TIMESTAMP(3);

