import { defineConfig } from 'prisma/config';

// The URL is only used by the Prisma CLI on a connected machine (`prisma migrate status`);
// Flowgate applies migrations itself at start (see src/store/migrations.ts).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' },
});
