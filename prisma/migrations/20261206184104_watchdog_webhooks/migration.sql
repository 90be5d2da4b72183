-- CreateEnum
CREATE TYPE "HealthStatus" AS ENUM ('HEALTHY', 'LATE', 'FAILING', 'SILENT', 'DRIFTED', 'PAUSED');

-- CreateEnum
CREATE TYPE "AlertStatus" AS ENUM ('OPEN', 'RESOLVED');

-- CreateEnum
CREATE TYPE "AlertSeverity" AS ENUM ('CRITICAL', 'WARNING', 'INFO');

-- CreateEnum
CREATE TYPE "WebhookDeliveryStatus" AS ENUM ('PENDING', 'SUCCEEDED', 'FAILED', 'CANCELLED');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "ResourceType" ADD VALUE 'ALERT';
ALTER TYPE "ResourceType" ADD VALUE 'WEBHOOK';

-- CreateTable
CREATE TABLE "dataflow_observations" (
    "dataflow_id" UUID NOT NULL,
    "observed_at" TIMESTAMPTZ(3) NOT NULL,
    "found" BOOLEAN NOT NULL,
    "state" TEXT,
    "etag" TEXT,
    "schedule" JSONB,
    "mapping_version" INTEGER,

    CONSTRAINT "dataflow_observations_pkey" PRIMARY KEY ("dataflow_id")
);

-- CreateTable
CREATE TABLE "dataflow_health" (
    "dataflow_id" UUID NOT NULL,
    "sandbox" TEXT NOT NULL,
    "status" "HealthStatus" NOT NULL,
    "since" TIMESTAMPTZ(3) NOT NULL,
    "expected_next_run_at" TIMESTAMPTZ(3),
    "last_run_at" TIMESTAMPTZ(3),
    "consecutive_failures" INTEGER NOT NULL DEFAULT 0,
    "consecutive_empty_runs" INTEGER NOT NULL DEFAULT 0,
    "empty_runs_may_be_normal" BOOLEAN NOT NULL DEFAULT false,
    "reasons" JSONB NOT NULL DEFAULT '[]',
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "dataflow_health_pkey" PRIMARY KEY ("dataflow_id")
);

-- CreateTable
CREATE TABLE "alerts" (
    "id" UUID NOT NULL,
    "dataflow_id" UUID NOT NULL,
    "sandbox" TEXT NOT NULL,
    "status" "AlertStatus" NOT NULL DEFAULT 'OPEN',
    "health" "HealthStatus" NOT NULL,
    "severity" "AlertSeverity" NOT NULL,
    "reasons" JSONB NOT NULL DEFAULT '[]',
    "updates" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMPTZ(3),

    CONSTRAINT "alerts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhooks" (
    "id" UUID NOT NULL,
    "sandbox" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "events" TEXT[],
    "description" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "secret_key_id" TEXT NOT NULL,
    "secret_ciphertext" TEXT NOT NULL,
    "secret_version" INTEGER NOT NULL DEFAULT 1,
    "secret_rotated_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhooks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_deliveries" (
    "id" UUID NOT NULL,
    "webhook_id" UUID NOT NULL,
    "event" TEXT NOT NULL,
    "event_key" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "status" "WebhookDeliveryStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_status_code" INTEGER,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_attempts" (
    "delivery_id" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "status_code" INTEGER,
    "latency_ms" INTEGER NOT NULL,
    "error" TEXT,

    CONSTRAINT "webhook_attempts_pkey" PRIMARY KEY ("delivery_id","number")
);

-- CreateIndex
CREATE INDEX "alerts_sandbox_created_at_idx" ON "alerts"("sandbox", "created_at");

-- CreateIndex
CREATE INDEX "alerts_dataflow_id_created_at_idx" ON "alerts"("dataflow_id", "created_at");

-- CreateIndex
CREATE INDEX "webhooks_sandbox_created_at_idx" ON "webhooks"("sandbox", "created_at");

-- CreateIndex
CREATE INDEX "webhook_deliveries_webhook_id_created_at_idx" ON "webhook_deliveries"("webhook_id", "created_at");

-- CreateIndex
CREATE INDEX "webhook_deliveries_status_updated_at_idx" ON "webhook_deliveries"("status", "updated_at");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_deliveries_webhook_id_event_key_key" ON "webhook_deliveries"("webhook_id", "event_key");

-- AddForeignKey
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_fkey" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "webhook_deliveries"("id") ON DELETE CASCADE ON UPDATE CASCADE;



-- Written by hand (Prisma cannot express these): at most one open alert per dataflow (the
-- watchdog's pass reads them through it), and the alert of a problem, not of a healthy state.
CREATE UNIQUE INDEX "alerts_open_dataflow_key" ON "alerts"("dataflow_id") WHERE "status" = 'OPEN';
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_health_check" CHECK ("health" IN ('LATE', 'FAILING', 'SILENT', 'DRIFTED'));

-- The watchdog reads each dataflow's newest runs from this index alone (an index-only scan: no
-- heap page per run), in one query for all dataflows.
CREATE INDEX "flow_runs_watch_idx" ON "flow_runs"("dataflow_id", "started_at" DESC) INCLUDE ("status", "records_read");
