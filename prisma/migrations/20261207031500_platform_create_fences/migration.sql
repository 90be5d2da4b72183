-- CreateTable
CREATE TABLE "platform_create_fences" (
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "platform_create_fences_pkey" PRIMARY KEY ("name")
);

