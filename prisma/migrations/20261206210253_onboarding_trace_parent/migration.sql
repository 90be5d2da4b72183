-- AlterTable
ALTER TABLE "onboardings" ADD COLUMN     "trace_parent" TEXT;

