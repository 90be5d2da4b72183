-- CreateEnum
CREATE TYPE "OnboardingStatus" AS ENUM ('QUEUED', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'ROLLING_BACK', 'ROLLED_BACK', 'CANCELLED');

-- CreateEnum
CREATE TYPE "StepStatus" AS ENUM ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED');

-- CreateTable
CREATE TABLE "onboardings" (
    "id" UUID NOT NULL,
    "sandbox" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "status" "OnboardingStatus" NOT NULL DEFAULT 'QUEUED',
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "current_step" TEXT,
    "resources" TEXT[],
    "schedule" JSONB NOT NULL,
    "rollback_on_failure" BOOLEAN NOT NULL DEFAULT true,
    "existing_dataset_id" UUID,
    "connection_id" UUID NOT NULL,
    "error" JSONB,
    "left_behind" JSONB NOT NULL DEFAULT '[]',
    "requested_by" TEXT NOT NULL,
    "request_id" TEXT,
    "idempotency_key" TEXT,
    "input_hash" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "onboardings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "onboarding_steps" (
    "id" UUID NOT NULL,
    "onboarding_id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "position" INTEGER NOT NULL DEFAULT 0,
    "stripe_resource" TEXT,
    "depends_on" TEXT[],
    "weight" DOUBLE PRECISION NOT NULL DEFAULT 1,
    "status" "StepStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "resource_type" "ResourceType",
    "resource_id" UUID,
    "platform_id" TEXT,
    "operation_id" UUID,
    "result" JSONB,
    "error" JSONB,
    "undoes" TEXT,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "onboarding_steps_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "onboardings_sandbox_created_at_idx" ON "onboardings"("sandbox", "created_at");

-- CreateIndex
CREATE INDEX "onboardings_status_idx" ON "onboardings"("status");

-- CreateIndex
CREATE UNIQUE INDEX "onboardings_requested_by_idempotency_key_key" ON "onboardings"("requested_by", "idempotency_key");

-- CreateIndex
CREATE INDEX "onboarding_steps_status_idx" ON "onboarding_steps"("status");

-- CreateIndex
CREATE INDEX "onboarding_steps_operation_id_idx" ON "onboarding_steps"("operation_id");

-- CreateIndex
CREATE UNIQUE INDEX "onboarding_steps_onboarding_id_key_key" ON "onboarding_steps"("onboarding_id", "key");

-- AddForeignKey
ALTER TABLE "onboarding_steps" ADD CONSTRAINT "onboarding_steps_onboarding_id_fkey" FOREIGN KEY ("onboarding_id") REFERENCES "onboardings"("id") ON DELETE CASCADE ON UPDATE CASCADE;

