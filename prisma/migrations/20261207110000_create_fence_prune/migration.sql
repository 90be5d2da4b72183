-- CreateIndex
CREATE INDEX "platform_create_fences_created_at_idx" ON "platform_create_fences"("created_at");

