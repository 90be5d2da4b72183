import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { PrismaPg } from '@prisma/adapter-pg';
import { GraphQLError } from 'graphql';
import { Client, Pool } from 'pg';
import { isDatabaseUnavailable } from '../../src/errors/database-unavailable.js';
import { PrismaClient } from '../../src/store/generated/client.js';
import { applyMigrations, ensureDatabase } from '../../src/store/migrations.js';
import { createDatabase, type Database } from '../../src/store/prisma.js';
import { dropDatabase, PG_ADMIN_URL, withDatabase } from '../gateway/support/stack.js';
import { freePort } from '../support/local-services.js';

/**
 * `isDatabaseUnavailable` decides whether the gateway answers 503 UNAVAILABLE (try again) or
 * INTERNAL_SERVER_ERROR. It is checked against real error objects, produced here by node-postgres
 * and Prisma's pg adapter against a real PostgreSQL: backends terminated mid-query and
 * mid-transaction, connections refused or cut, a pool that cannot hand out a connection in time —
 * and query errors that must not count as an outage.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected the call to fail');
}

describe('isDatabaseUnavailable', () => {
  const name = `fg_dbdown_${randomBytes(5).toString('hex')}`;
  const url = withDatabase(PG_ADMIN_URL, name);
  let admin: Client;
  let database: Database;
  /** Accepts TCP connections and closes them at once: a server that cuts every connection. */
  let cutter: Server;
  let cutterPort: number;
  let refusedPort: number;

  before(async () => {
    await ensureDatabase(url);
    await applyMigrations(url);
    admin = new Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    database = createDatabase(url, { poolSize: 4 });
    cutter = createServer((socket: Socket) => socket.destroy());
    await new Promise<void>((resolve) => cutter.listen(0, '127.0.0.1', resolve));
    cutterPort = (cutter.address() as { port: number }).port;
    refusedPort = await freePort();
  });
  after(async () => {
    await database?.prisma.$disconnect();
    await database?.pool.end();
    await admin?.end();
    await new Promise((resolve) => cutter?.close(resolve));
    await dropDatabase(name);
  });

  /** Terminates the backends of the test database that are running a statement matching `pattern` (waits until one is). */
  const terminateWhenRunning = async (pattern: string) => {
    for (let i = 0; i < 200; i++) {
      const { rows } = await admin.query<{ ok: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND query LIKE $2 AND pid <> pg_backend_pid()`,
        [name, pattern],
      );
      if (rows.some((r) => r.ok)) return;
      await sleep(10);
    }
    assert.fail(`no backend ran ${pattern}`);
  };
  const terminateAll = () => admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
  const prismaOn = (pool: Pool) => new PrismaClient({ adapter: new PrismaPg(pool) });

  describe('is true for a database that cannot be reached', () => {
    it('a node-postgres query whose backend is terminated (57P01)', async () => {
      const error = await rejection(Promise.all([database.pool.query('SELECT pg_sleep(5)::text AS slept'), terminateWhenRunning('%pg_sleep(5)%slept%')]));
      assert.equal((error as { code?: string }).code, '57P01');
      assert.equal(isDatabaseUnavailable(error), true);
    });

    it("a Prisma model query whose backend is terminated (P2039 wrapping the adapter's 57P01)", async () => {
      const locker = new Client({ connectionString: url });
      locker.on('error', () => undefined);
      await locker.connect();
      try {
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE operations IN ACCESS EXCLUSIVE MODE');
        const error = await rejection(Promise.all([database.prisma.operation.findMany({ take: 1 }), terminateWhenRunning('%FROM "public"."operations"%')]));
        assert.equal(error?.constructor.name, 'PrismaClientKnownRequestError');
        assert.equal(isDatabaseUnavailable(error), true);
      } finally {
        await locker.end();
      }
    });

    it('a Prisma raw query whose backend is terminated (P2010)', async () => {
      const error = await rejection(Promise.all([database.prisma.$queryRawUnsafe('SELECT pg_sleep(5)::text AS prisma_slept'), terminateWhenRunning('%prisma_slept%')]));
      assert.equal((error as { code?: string }).code, 'P2010');
      assert.equal(isDatabaseUnavailable(error), true);
    });

    it('a Prisma interactive transaction whose backend is terminated between two statements', async () => {
      const error = await rejection(
        database.prisma.$transaction(async (tx) => {
          await tx.operation.count();
          await terminateAll();
          await sleep(100);
          return tx.operation.count();
        }),
      );
      assert.equal(isDatabaseUnavailable(error), true, String(error));
    });

    it('a refused connection, through node-postgres (ECONNREFUSED) and through Prisma (P1001)', async () => {
      const pool = new Pool({ connectionString: `postgresql://postgres@127.0.0.1:${refusedPort}/x`, max: 1 });
      const prisma = prismaOn(pool);
      try {
        const direct = await rejection(pool.query('SELECT 1'));
        assert.equal((direct as { code?: string }).code, 'ECONNREFUSED');
        assert.equal(isDatabaseUnavailable(direct), true);
        const viaPrisma = await rejection(prisma.operation.findMany({ take: 1 }));
        assert.equal((viaPrisma as { code?: string }).code, 'P1001');
        assert.equal(isDatabaseUnavailable(viaPrisma), true);
      } finally {
        await prisma.$disconnect();
        await pool.end();
      }
    });

    it('a connection the server cuts ("Connection terminated unexpectedly"), direct and through Prisma', async () => {
      const pool = new Pool({ connectionString: `postgresql://postgres@127.0.0.1:${cutterPort}/x`, max: 1 });
      const prisma = prismaOn(pool);
      try {
        const direct = await rejection(pool.query('SELECT 1'));
        assert.match((direct as Error).message, /Connection terminated/);
        assert.equal(isDatabaseUnavailable(direct), true);
        assert.equal(isDatabaseUnavailable(await rejection(prisma.operation.findMany({ take: 1 }))), true);
      } finally {
        await prisma.$disconnect();
        await pool.end();
      }
    });

    it('a pool that cannot hand out a connection within connectionTimeoutMillis, direct and through Prisma', async () => {
      const pool = new Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 200 });
      const prisma = prismaOn(pool);
      const held = await pool.connect();
      try {
        const direct = await rejection(pool.query('SELECT 1'));
        assert.match((direct as Error).message, /timeout/);
        assert.equal(isDatabaseUnavailable(direct), true);
        assert.equal(isDatabaseUnavailable(await rejection(prisma.operation.findMany({ take: 1 }))), true);
        assert.equal(isDatabaseUnavailable(await rejection(prisma.$transaction((tx) => tx.operation.count()))), true);
      } finally {
        held.release();
        await prisma.$disconnect();
        await pool.end();
      }
    });

    it('any of these as the original error of a GraphQLError (how formatError receives them)', async () => {
      const cause = await rejection(Promise.all([database.pool.query('SELECT pg_sleep(5)::text AS wrapped'), terminateWhenRunning('%wrapped%')]));
      assert.equal(isDatabaseUnavailable(new GraphQLError('Unexpected error', { originalError: cause as Error })), true);
    });
  });

  describe('is false for errors of a working database', () => {
    it('SQL errors through node-postgres (syntax, division by zero, a missing table)', async () => {
      for (const sql of ['SELEC 1', 'SELECT 1/0', 'SELECT * FROM no_such_table']) {
        const error = await rejection(database.pool.query(sql));
        assert.equal(isDatabaseUnavailable(error), false, `${sql}: ${(error as Error).message}`);
      }
    });

    it('a unique violation and a failed raw query through Prisma', async () => {
      const id = randomUUID();
      const row = { id, type: 'CREATE_CONNECTION', resourceType: 'CONNECTION' as const, resourceId: randomUUID(), sandbox: 'prod', requestedBy: 'test' };
      await database.prisma.operation.create({ data: row });
      const duplicate = await rejection(database.prisma.operation.create({ data: row }));
      assert.equal((duplicate as { code?: string }).code, 'P2002');
      assert.equal(isDatabaseUnavailable(duplicate), false);
      assert.equal(isDatabaseUnavailable(await rejection(database.prisma.$queryRawUnsafe('SELECT 1/0'))), false);
    });

    it('errors that have nothing to do with the database', () => {
      for (const error of [
        new Error('boom'),
        new TypeError("Cannot read properties of undefined (reading 'id')"),
        new GraphQLError('Unexpected error'),
        'a string',
        null,
        undefined,
        { code: 'E_SOMETHING' },
      ]) {
        assert.equal(isDatabaseUnavailable(error), false, inspect(error));
      }
    });
  });

  describe('under repeated pg_terminate_backend', () => {
    it('recognises every error that node-postgres and Prisma raise, and the process survives connections dying while checked out', async () => {
      // Regression: a pooled client handed to a waiting `pool.connect()` (Prisma's transactions,
      // the onboarding orchestrator) in the same socket read as the server's "terminating
      // connection" message emitted 'error' with no listener, and the process crashed.
      const unrecognised: string[] = [];
      let failures = 0;
      let stop = false;
      const loop = async (work: () => Promise<unknown>) => {
        while (!stop) {
          try {
            await work();
          } catch (error) {
            failures++;
            if (!isDatabaseUnavailable(error) && unrecognised.length < 5) unrecognised.push(`${error?.constructor?.name}: ${(error as Error).message}`);
          }
        }
      };
      const loops = [
        loop(() => database.pool.query('SELECT 1')),
        loop(() => database.prisma.operation.findMany({ take: 5 })),
        loop(() => database.prisma.$transaction((tx) => tx.operation.count())),
        loop(() => database.prisma.$transaction((tx) => tx.operation.count())),
        loop(async () => {
          const client = await database.pool.connect();
          try {
            await client.query('SELECT 1');
          } finally {
            client.release();
          }
        }),
      ];
      const until = Date.now() + 2000;
      while (Date.now() < until) {
        await terminateAll();
        await sleep(15);
      }
      stop = true;
      await Promise.all(loops);
      assert.ok(failures > 0, 'the outage made queries fail');
      assert.deepEqual(unrecognised, []);
      // And the pool serves again.
      assert.equal((await database.pool.query('SELECT 1 AS one')).rows[0].one, 1);
      assert.equal(typeof (await database.prisma.operation.count()), 'number');
    });
  });
});
