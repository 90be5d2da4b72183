-- AlterTable
ALTER TABLE "onboardings" ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 0;

