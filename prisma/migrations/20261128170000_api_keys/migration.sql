-- AlterEnum
ALTER TYPE "ResourceType" ADD VALUE 'API_KEY';

-- CreateTable
CREATE TABLE "api_keys" (
    "id" UUID NOT NULL,
    "key_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "sandboxes" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "secret_hash" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" TEXT NOT NULL,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "revoked_by" TEXT,

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_key_id_key" ON "api_keys"("key_id");

-- CreateIndex
CREATE INDEX "api_keys_name_idx" ON "api_keys"("name");


-- Written by hand (Prisma cannot express these): a name is unique among keys that are not
-- revoked, so a revoked key's name can be reused; roles are the four the gateway knows.
CREATE UNIQUE INDEX "api_keys_active_name_key" ON "api_keys"("name") WHERE "revoked_at" IS NULL;
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_role_check" CHECK ("role" IN ('viewer', 'operator', 'admin', 'auditor'));
