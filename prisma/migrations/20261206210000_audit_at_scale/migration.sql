-- Audit at scale (issue 16). Hand-written: Prisma cannot express partitions, triggers or functions.
--
-- 1. Writes no longer serialise on the chain-head row. An event is inserted with its `seq` (from
--    the sequence) and no hashes; a sealer (`flowgate_audit_seal`, run every few hundred ms by the
--    worker, and by verifyAuditChain first) links the committed unsealed events in `seq` order, in
--    batches, giving each its chain position `chain_seq`, `prev_hash` and `hash`, and moves the
--    head once per batch. Chain order is `chain_seq` (an event committed late gets a later
--    position than its `seq` neighbours).
-- 2. The table is partitioned by month of `at`, so an old month can be detached to the archive
--    schema without rewriting the live table; the archive keeps the month's hash segments.
-- 3. Each filter combination of the API has an index ending in (at, seq), the list's order.

DROP TRIGGER "audit_events_chain" ON "audit_events";
DROP TRIGGER "audit_events_append_only" ON "audit_events";
DROP TRIGGER "audit_events_no_truncate" ON "audit_events";
DROP FUNCTION "flowgate_audit_chain"();
DROP FUNCTION "flowgate_audit_hash"(bytea, "audit_events");
DROP FUNCTION "flowgate_audit_content"("audit_events");
ALTER TABLE "audit_events" RENAME TO "audit_events_v1";
ALTER SEQUENCE "audit_events_seq_seq" OWNED BY NONE;

CREATE TABLE "audit_events" (
    "id" UUID NOT NULL,
    "seq" BIGINT NOT NULL DEFAULT nextval('"audit_events_seq_seq"'),
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
    -- Set by the sealer: position in the hash chain, the previous event's hash, this event's hash.
    "chain_seq" BIGINT,
    "prev_hash" BYTEA,
    "hash" BYTEA
) PARTITION BY RANGE ("at");
ALTER SEQUENCE "audit_events_seq_seq" OWNED BY "audit_events"."seq";

-- Canonical serialization (version 2): a JSON array of the chain position and the content
-- columns, as PostgreSQL prints jsonb (keys sorted by length then bytes, ", " and ": "), `at` as
-- epoch milliseconds so no session setting changes it. The exporter's offline verifier
-- (src/store/audit-content.ts) reproduces this text byte for byte.
CREATE FUNCTION "flowgate_audit_content"(e "audit_events", pos bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT jsonb_build_array(2, pos, e.id, e.seq, (extract(epoch FROM e.at) * 1000)::bigint, e.sandbox, e.actor, e.action,
    e.resource_type, e.resource_id, e.platform_id, e.etag_before, e.etag_after, e.changes, e.before, e.after,
    e.operation_id, e.request_id)::text
$$;

CREATE FUNCTION "flowgate_audit_hash"(prev bytea, e "audit_events", pos bigint) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT sha256(prev || convert_to("flowgate_audit_content"(e, pos), 'UTF8'))
$$;

-- One partition per UTC month, created ahead of time by the application (and here). No default
-- partition: with one, PostgreSQL could not read the months in order and stop after a page.
CREATE FUNCTION "flowgate_audit_partition"(month date) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  first date := date_trunc('month', month)::date;
  name text := format('audit_events_%s', to_char(first, 'YYYY_MM'));
BEGIN
  IF to_regclass(format('public.%I', name)) IS NULL AND to_regclass(format('audit_archive.%I', name)) IS NULL THEN
    EXECUTE format('CREATE TABLE %I PARTITION OF "audit_events" FOR VALUES FROM (%L) TO (%L) WITH (fillfactor = 90)',
      name, (first::timestamp AT TIME ZONE 'UTC'), ((first + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
  END IF;
  RETURN name;
END
$$;

DO $$
DECLARE
  m date;
BEGIN
  FOR m IN SELECT generate_series(date_trunc('month', LEAST(coalesce((SELECT min(at) FROM "audit_events_v1"), now()), now()) AT TIME ZONE 'UTC'),
                                  date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months', interval '1 month')::date LOOP
    PERFORM "flowgate_audit_partition"(m);
  END LOOP;
END
$$;

-- Existing events keep their content and seq; they are chained again in seq order with the
-- version-2 serialization (the version-1 hashes are replaced).
INSERT INTO "audit_events" ("id", "seq", "at", "sandbox", "actor", "action", "resource_type", "resource_id", "platform_id", "etag_before", "etag_after",
  "changes", "before", "after", "operation_id", "request_id")
SELECT "id", "seq", "at", "sandbox", "actor", "action", "resource_type", "resource_id", "platform_id", "etag_before", "etag_after",
  "changes", "before", "after", "operation_id", "request_id" FROM "audit_events_v1";
DROP TABLE "audit_events_v1";

ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id", "at");
-- The list's indexes: each filter combination's equality columns, then the list order (at, seq).
-- A resource's events are few, so resourceId with any other filter reads that resource's index.
CREATE INDEX "audit_events_sandbox_at_seq_idx" ON "audit_events" ("sandbox", "at", "seq");
CREATE INDEX "audit_events_type_at_seq_idx" ON "audit_events" ("sandbox", "resource_type", "at", "seq");
CREATE INDEX "audit_events_actor_at_seq_idx" ON "audit_events" ("sandbox", "actor", "at", "seq");
CREATE INDEX "audit_events_action_at_seq_idx" ON "audit_events" ("sandbox", "action", "at", "seq");
CREATE INDEX "audit_events_type_actor_at_seq_idx" ON "audit_events" ("sandbox", "resource_type", "actor", "at", "seq");
CREATE INDEX "audit_events_type_action_at_seq_idx" ON "audit_events" ("sandbox", "resource_type", "action", "at", "seq");
CREATE INDEX "audit_events_actor_action_at_seq_idx" ON "audit_events" ("sandbox", "actor", "action", "at", "seq");
CREATE INDEX "audit_events_type_actor_action_at_seq_idx" ON "audit_events" ("sandbox", "resource_type", "actor", "action", "at", "seq");
CREATE INDEX "audit_events_resource_at_seq_idx" ON "audit_events" ("resource_id", "at", "seq");
-- The chain walk (verification) and the unsealed tail (chain_seq IS NULL).
CREATE INDEX "audit_events_chain_seq_idx" ON "audit_events" ("chain_seq");

-- The head: chain position and hash of the newest sealed event. Only the sealer moves it.
ALTER TABLE "audit_chain_head" ADD COLUMN "sealed_at" TIMESTAMPTZ;
ALTER TABLE "audit_chain_head" DISABLE TRIGGER "audit_chain_head_guard";
UPDATE "audit_chain_head" SET "seq" = 0, "hash" = '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea, "event_id" = NULL WHERE "id";
ALTER TABLE "audit_chain_head" ENABLE TRIGGER "audit_chain_head_guard";

CREATE OR REPLACE FUNCTION "flowgate_refuse_chain_head_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND current_setting('flowgate.audit_sealing', true) = 'on' THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_chain_head changes only with audit_events (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

-- Append-only, except for the sealer filling in the chain columns of an unsealed event.
CREATE OR REPLACE FUNCTION "flowgate_refuse_audit_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND current_setting('flowgate.audit_sealing', true) = 'on' AND OLD."chain_seq" IS NULL
     AND (OLD."id", OLD."seq", OLD."at", OLD."sandbox", OLD."actor", OLD."action", OLD."resource_type", OLD."resource_id", OLD."platform_id",
          OLD."etag_before", OLD."etag_after", OLD."changes", OLD."before", OLD."after", OLD."operation_id", OLD."request_id")
         IS NOT DISTINCT FROM
         (NEW."id", NEW."seq", NEW."at", NEW."sandbox", NEW."actor", NEW."action", NEW."resource_type", NEW."resource_id", NEW."platform_id",
          NEW."etag_before", NEW."etag_after", NEW."changes", NEW."before", NEW."after", NEW."operation_id", NEW."request_id") THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER "audit_events_append_only" BEFORE UPDATE OR DELETE ON "audit_events" FOR EACH ROW EXECUTE FUNCTION "flowgate_refuse_audit_change"();
CREATE TRIGGER "audit_events_no_truncate" BEFORE TRUNCATE ON "audit_events" FOR EACH STATEMENT EXECUTE FUNCTION "flowgate_refuse_audit_change"();

-- Links up to `max_events` committed unsealed events, in seq order, after the head; returns how
-- many, or -1 when another sealer holds the head (it will seal them). The head row's lock is the
-- only serialisation, and only sealers take it.
CREATE FUNCTION "flowgate_audit_seal"(max_events int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  head "audit_chain_head";
  e "audit_events";
  pos bigint;
  prev bytea;
  ids uuid[] := '{}';
  ats timestamptz[] := '{}';
  positions bigint[] := '{}';
  prevs bytea[] := '{}';
  hashes bytea[] := '{}';
  last_id uuid;
BEGIN
  SELECT * INTO head FROM "audit_chain_head" WHERE "id" FOR UPDATE SKIP LOCKED;
  IF NOT FOUND THEN
    RETURN -1;
  END IF;
  pos := head."seq";
  prev := head."hash";
  FOR e IN SELECT * FROM "audit_events" a WHERE a."chain_seq" IS NULL ORDER BY a."seq" LIMIT max_events LOOP
    pos := pos + 1;
    ids := ids || e."id";
    ats := ats || e."at";
    positions := positions || pos;
    prevs := prevs || prev;
    prev := "flowgate_audit_hash"(prev, e, pos);
    hashes := hashes || prev;
    last_id := e."id";
  END LOOP;
  IF last_id IS NULL THEN
    RETURN 0;
  END IF;
  PERFORM set_config('flowgate.audit_sealing', 'on', true);
  UPDATE "audit_events" a SET "chain_seq" = u.pos, "prev_hash" = u.prev, "hash" = u.hash
  FROM unnest(ids, ats, positions, prevs, hashes) AS u(id, at, pos, prev, hash)
  WHERE a."id" = u.id AND a."at" = u.at;
  UPDATE "audit_chain_head" SET "seq" = pos, "hash" = prev, "event_id" = last_id, "sealed_at" = now() WHERE "id";
  PERFORM set_config('flowgate.audit_sealing', 'off', true);
  RETURN cardinality(ids);
END
$$;

-- The archive: detached months live on as tables in this schema (until an operator exports and
-- drops them); what the live chain needs to verify across them stays in the two tables below.
CREATE SCHEMA IF NOT EXISTS "audit_archive";

CREATE TABLE "audit_archived_months" (
    "month" DATE NOT NULL,
    "table_name" TEXT NOT NULL,
    "events" BIGINT NOT NULL,
    -- The month's newest event by chain position, and its hash (the month's head).
    "head_chain_seq" BIGINT,
    "head_hash" BYTEA,
    "archived_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT "audit_archived_months_pkey" PRIMARY KEY ("month")
);

-- Each run of consecutive chain positions a detached month held (usually one; a few more where
-- events of two months interleave around midnight): the hash it linked from and the hash it
-- ended with. The verifier steps over a run with these two hashes.
CREATE TABLE "audit_archive_segments" (
    "first_chain_seq" BIGINT NOT NULL,
    "last_chain_seq" BIGINT NOT NULL,
    "month" DATE NOT NULL,
    "prev_hash" BYTEA NOT NULL,
    "hash" BYTEA NOT NULL,
    CONSTRAINT "audit_archive_segments_pkey" PRIMARY KEY ("first_chain_seq")
);

CREATE FUNCTION "flowgate_refuse_archive_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER "audit_archived_months_append_only" BEFORE UPDATE OR DELETE ON "audit_archived_months" FOR EACH ROW EXECUTE FUNCTION "flowgate_refuse_archive_change"();
CREATE TRIGGER "audit_archive_segments_append_only" BEFORE UPDATE OR DELETE ON "audit_archive_segments" FOR EACH ROW EXECUTE FUNCTION "flowgate_refuse_archive_change"();

-- Detaches one fully sealed month: records its segments and head, then moves its partition to the
-- archive schema. Returns the number of events archived; refuses a month with unsealed events.
CREATE FUNCTION "flowgate_audit_archive_month"(month date) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  first date := date_trunc('month', month)::date;
  name text := format('audit_events_%s', to_char(first, 'YYYY_MM'));
  n bigint;
  unsealed bigint;
BEGIN
  IF to_regclass(format('public.%I', name)) IS NULL THEN
    RETURN 0;
  END IF;
  EXECUTE format('SELECT count(*), count(*) FILTER (WHERE chain_seq IS NULL) FROM %I', name) INTO n, unsealed;
  IF unsealed > 0 THEN
    RAISE EXCEPTION 'audit month % has % unsealed events: seal before archiving', to_char(first, 'YYYY-MM'), unsealed;
  END IF;
  EXECUTE format($q$
    INSERT INTO "audit_archive_segments" ("first_chain_seq", "last_chain_seq", "month", "prev_hash", "hash")
    SELECT min(chain_seq), max(chain_seq), %L::date,
           (array_agg(prev_hash ORDER BY chain_seq))[1], (array_agg(hash ORDER BY chain_seq DESC))[1]
    FROM (SELECT chain_seq, prev_hash, hash, chain_seq - row_number() OVER (ORDER BY chain_seq) AS run FROM %I) r
    GROUP BY run$q$, first, name);
  EXECUTE format($q$
    INSERT INTO "audit_archived_months" ("month", "table_name", "events", "head_chain_seq", "head_hash")
    SELECT %L::date, %L, %s, (SELECT chain_seq FROM %I ORDER BY chain_seq DESC LIMIT 1), (SELECT hash FROM %I ORDER BY chain_seq DESC LIMIT 1)$q$,
    first, 'audit_archive.' || name, n, name, name);
  EXECUTE format('ALTER TABLE "audit_events" DETACH PARTITION %I', name);
  EXECUTE format('ALTER TABLE %I SET SCHEMA "audit_archive"', name);
  RETURN n;
END
$$;

SELECT "flowgate_audit_seal"(2147483647);
