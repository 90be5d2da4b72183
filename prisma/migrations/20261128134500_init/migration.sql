-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "ResourceType" AS ENUM ('CONNECTION', 'SOURCE_CONNECTION', 'XDM_SCHEMA', 'DATASET', 'TARGET_CONNECTION', 'MAPPING', 'DATAFLOW');

-- CreateEnum
CREATE TYPE "ResourceState" AS ENUM ('PENDING', 'ENABLED', 'DISABLED', 'READY', 'DELETING', 'DELETED', 'FAILED');

-- CreateEnum
CREATE TYPE "OperationStatus" AS ENUM ('QUEUED', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'CANCELLED');

-- CreateTable
CREATE TABLE "resources" (
    "id" UUID NOT NULL,
    "type" "ResourceType" NOT NULL,
    "sandbox" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "state" "ResourceState" NOT NULL DEFAULT 'PENDING',
    "platform_id" TEXT,
    "etag" TEXT,
    "spec" JSONB NOT NULL DEFAULT '{}',
    "snapshot" JSONB,
    "stripe_resource" TEXT,
    "connection_id" UUID,
    "source_connection_id" UUID,
    "target_connection_id" UUID,
    "schema_id" UUID,
    "dataset_id" UUID,
    "mapping_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "resources_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "secrets" (
    "id" UUID NOT NULL,
    "resource_id" UUID NOT NULL,
    "key_id" TEXT NOT NULL,
    "ciphertext" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "secrets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "operations" (
    "id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "status" "OperationStatus" NOT NULL DEFAULT 'QUEUED',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "message" TEXT,
    "resource_type" "ResourceType" NOT NULL,
    "resource_id" UUID NOT NULL,
    "sandbox" TEXT NOT NULL,
    "input" JSONB NOT NULL DEFAULT '{}',
    "error" JSONB,
    "requested_by" TEXT NOT NULL,
    "request_id" TEXT,
    "idempotency_key" TEXT,
    "input_hash" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "operations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "flow_runs" (
    "id" UUID NOT NULL,
    "dataflow_id" UUID NOT NULL,
    "platform_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3),
    "completed_at" TIMESTAMPTZ(3),
    "records_read" INTEGER NOT NULL DEFAULT 0,
    "records_written" INTEGER NOT NULL DEFAULT 0,
    "records_failed" INTEGER NOT NULL DEFAULT 0,
    "input_bytes" BIGINT NOT NULL DEFAULT 0,
    "output_bytes" BIGINT NOT NULL DEFAULT 0,
    "errors" JSONB NOT NULL DEFAULT '[]',
    "etag" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "flow_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_events" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sandbox" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "resource_type" "ResourceType" NOT NULL,
    "resource_id" UUID NOT NULL,
    "platform_id" TEXT,
    "etag_before" TEXT,
    "etag_after" TEXT,
    "changes" JSONB NOT NULL DEFAULT '[]',
    "before" JSONB,
    "after" JSONB,
    "operation_id" UUID,
    "request_id" TEXT,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "resources_type_sandbox_created_at_idx" ON "resources"("type", "sandbox", "created_at");

-- CreateIndex
CREATE INDEX "resources_connection_id_idx" ON "resources"("connection_id");

-- CreateIndex
CREATE INDEX "resources_source_connection_id_idx" ON "resources"("source_connection_id");

-- CreateIndex
CREATE INDEX "resources_target_connection_id_idx" ON "resources"("target_connection_id");

-- CreateIndex
CREATE INDEX "resources_mapping_id_idx" ON "resources"("mapping_id");

-- CreateIndex
CREATE UNIQUE INDEX "resources_type_sandbox_platform_id_key" ON "resources"("type", "sandbox", "platform_id");

-- CreateIndex
CREATE INDEX "secrets_resource_id_created_at_idx" ON "secrets"("resource_id", "created_at");

-- CreateIndex
CREATE INDEX "operations_status_created_at_idx" ON "operations"("status", "created_at");

-- CreateIndex
CREATE INDEX "operations_resource_id_created_at_idx" ON "operations"("resource_id", "created_at");

-- CreateIndex
CREATE INDEX "operations_created_at_idx" ON "operations"("created_at");

-- CreateIndex
CREATE UNIQUE INDEX "operations_requested_by_idempotency_key_key" ON "operations"("requested_by", "idempotency_key");

-- CreateIndex
CREATE UNIQUE INDEX "flow_runs_platform_id_key" ON "flow_runs"("platform_id");

-- CreateIndex
CREATE INDEX "flow_runs_dataflow_id_started_at_idx" ON "flow_runs"("dataflow_id", "started_at");

-- CreateIndex
CREATE INDEX "audit_events_sandbox_seq_idx" ON "audit_events"("sandbox", "seq");

-- CreateIndex
CREATE INDEX "audit_events_at_idx" ON "audit_events"("at");

-- CreateIndex
CREATE INDEX "audit_events_resource_type_resource_id_at_idx" ON "audit_events"("resource_type", "resource_id", "at");

-- CreateIndex
CREATE INDEX "audit_events_actor_at_idx" ON "audit_events"("actor", "at");

-- CreateIndex
CREATE UNIQUE INDEX "audit_events_seq_key" ON "audit_events"("seq");

-- AddForeignKey
ALTER TABLE "secrets" ADD CONSTRAINT "secrets_resource_id_fkey" FOREIGN KEY ("resource_id") REFERENCES "resources"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Audit events are append-only: the database itself refuses to change or remove them.
CREATE FUNCTION "flowgate_refuse_audit_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER "audit_events_append_only" BEFORE UPDATE OR DELETE ON "audit_events" FOR EACH ROW EXECUTE FUNCTION "flowgate_refuse_audit_change"();
CREATE TRIGGER "audit_events_no_truncate" BEFORE TRUNCATE ON "audit_events" FOR EACH STATEMENT EXECUTE FUNCTION "flowgate_refuse_audit_change"();
