-- Audit at scale (issue 16). Hand-written: Prisma cannot express partitions, triggers or functions.
--
-- 1. Writes no longer serialise on the chain-head row. Events are inserted as they are, with
--    their `seq` from the sequence, and never change afterwards. A sealer (`flowgate_audit_seal`,
--    run every few hundred ms by every process, and by verifyAuditChain first) takes the committed
--    events that are not in the chain yet, in `seq` order, and appends one narrow row per event to
--    `audit_chain`: its position `chain_seq`, the sha256 `digest` of its canonical content,
--    `prev_hash` and `hash` = sha256(prev_hash || digest). The head moves once per batch, and only
--    sealers take its lock. Chain order is `chain_seq` (an event committed late gets a later
--    position than its `seq` neighbours).
-- 2. The events table is partitioned by month of `at`, so an old month can be detached to the
--    archive schema without rewriting the live table; the archive keeps the month's chain rows and
--    hash segments so the live chain still verifies across the gap.
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
    -- The transaction's start (CURRENT_TIMESTAMP): the sealer relies on it to find the events of
    -- transactions that were still running at its previous pass.
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
    "request_id" TEXT
) PARTITION BY RANGE ("at");
ALTER SEQUENCE "audit_events_seq_seq" OWNED BY "audit_events"."seq";

-- Canonical serialization (version 2): a JSON array of the content columns, as PostgreSQL prints
-- jsonb (object keys sorted by length then bytes, ", " and ": "), `at` as epoch milliseconds so
-- no session setting changes it. The exporter's offline verifier (src/store/audit-content.ts)
-- reproduces this text byte for byte.
CREATE FUNCTION "flowgate_audit_content"(e "audit_events") RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT jsonb_build_array(2, e.id, e.seq, (extract(epoch FROM e.at) * 1000)::bigint, e.sandbox, e.actor, e.action,
    e.resource_type, e.resource_id, e.platform_id, e.etag_before, e.etag_after, e.changes, e.before, e.after,
    e.operation_id, e.request_id)::text
$$;

CREATE FUNCTION "flowgate_audit_digest"(e "audit_events") RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT sha256(convert_to("flowgate_audit_content"(e), 'UTF8'))
$$;

-- One partition per UTC month, created ahead of time by the application (and here). No default
-- partition: with one, PostgreSQL could not read the months in order and stop after a page.
CREATE FUNCTION "flowgate_audit_partition"(month date) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  first date := date_trunc('month', month)::date;
  name text := format('audit_events_%s', to_char(first, 'YYYY_MM'));
BEGIN
  IF to_regclass(format('public.%I', name)) IS NULL AND to_regclass(format('audit_archive.%I', name)) IS NULL THEN
    EXECUTE format('CREATE TABLE %I PARTITION OF "audit_events" FOR VALUES FROM (%L) TO (%L)',
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

-- Existing events keep their content and seq; they are chained again below, in seq order, with
-- the version-2 serialization (the version-1 hashes are not kept).
INSERT INTO "audit_events" ("id", "seq", "at", "sandbox", "actor", "action", "resource_type", "resource_id", "platform_id", "etag_before", "etag_after",
  "changes", "before", "after", "operation_id", "request_id")
SELECT "id", "seq", "at", "sandbox", "actor", "action", "resource_type", "resource_id", "platform_id", "etag_before", "etag_after",
  "changes", "before", "after", "operation_id", "request_id" FROM "audit_events_v1";
DROP TABLE "audit_events_v1";

ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id", "at");
-- The list's indexes: each filter combination's equality columns, then the list order (at, seq).
-- A resource id decides its type, and a resource's events are few, so resourceId with any other
-- filter reads that resource's own index.
CREATE INDEX "audit_events_sandbox_at_seq_idx" ON "audit_events" ("sandbox", "at", "seq");
CREATE INDEX "audit_events_type_at_seq_idx" ON "audit_events" ("sandbox", "resource_type", "at", "seq");
CREATE INDEX "audit_events_actor_at_seq_idx" ON "audit_events" ("sandbox", "actor", "at", "seq");
CREATE INDEX "audit_events_action_at_seq_idx" ON "audit_events" ("sandbox", "action", "at", "seq");
CREATE INDEX "audit_events_type_actor_at_seq_idx" ON "audit_events" ("sandbox", "resource_type", "actor", "at", "seq");
CREATE INDEX "audit_events_type_action_at_seq_idx" ON "audit_events" ("sandbox", "resource_type", "action", "at", "seq");
CREATE INDEX "audit_events_actor_action_at_seq_idx" ON "audit_events" ("sandbox", "actor", "action", "at", "seq");
CREATE INDEX "audit_events_type_actor_action_at_seq_idx" ON "audit_events" ("sandbox", "resource_type", "actor", "action", "at", "seq");
CREATE INDEX "audit_events_resource_at_seq_idx" ON "audit_events" ("resource_id", "at", "seq");
-- The sealer's look for new events, across sandboxes: by transaction start and by sequence.
CREATE INDEX "audit_events_at_idx" ON "audit_events" ("at");
CREATE INDEX "audit_events_seq_idx" ON "audit_events" ("seq");

-- Append-only: the database itself refuses to change or remove events.
CREATE TRIGGER "audit_events_append_only" BEFORE UPDATE OR DELETE ON "audit_events" FOR EACH ROW EXECUTE FUNCTION "flowgate_refuse_audit_change"();
CREATE TRIGGER "audit_events_no_truncate" BEFORE TRUNCATE ON "audit_events" FOR EACH STATEMENT EXECUTE FUNCTION "flowgate_refuse_audit_change"();

-- The hash chain: one narrow row per sealed event, in chain order.
CREATE TABLE "audit_chain" (
    "chain_seq" BIGINT NOT NULL,
    "event_id" UUID NOT NULL,
    "event_at" TIMESTAMPTZ(3) NOT NULL,
    "event_seq" BIGINT NOT NULL,
    -- sha256 of the event's canonical content (flowgate_audit_content).
    "digest" BYTEA NOT NULL,
    "prev_hash" BYTEA NOT NULL,
    -- sha256(prev_hash || digest)
    "hash" BYTEA NOT NULL,
    CONSTRAINT "audit_chain_pkey" PRIMARY KEY ("chain_seq")
);
CREATE UNIQUE INDEX "audit_chain_event_id_key" ON "audit_chain" ("event_id");
CREATE INDEX "audit_chain_event_at_idx" ON "audit_chain" ("event_at");

-- Append-only too, except that archiving a month moves its chain rows to the archive.
CREATE FUNCTION "flowgate_refuse_chain_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('flowgate.audit_archiving', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_chain is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER "audit_chain_append_only" BEFORE UPDATE OR DELETE ON "audit_chain" FOR EACH ROW EXECUTE FUNCTION "flowgate_refuse_chain_change"();
CREATE TRIGGER "audit_chain_no_truncate" BEFORE TRUNCATE ON "audit_chain" FOR EACH STATEMENT EXECUTE FUNCTION "flowgate_refuse_chain_change"();

-- The head: chain position and hash of the newest sealed event; only the sealer moves it.
-- Where the sealer looks next: every unsealed event has `at` >= `low_at` minus a second (its
-- transaction was running at the previous pass, or started later) or `seq` > `cap_seq` (the
-- previous pass stopped at its batch size; null when it took every candidate).
ALTER TABLE "audit_chain_head" ADD COLUMN "sealed_at" TIMESTAMPTZ;
ALTER TABLE "audit_chain_head" ADD COLUMN "low_at" TIMESTAMPTZ NOT NULL DEFAULT '-infinity';
ALTER TABLE "audit_chain_head" ADD COLUMN "cap_seq" BIGINT;
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

-- Appends up to `max_events` committed unsealed events to the chain, in seq order; returns how
-- many, or -1 when another sealer holds the head (it will seal them). Which events can be new (see
-- `low_at` and `cap_seq` above) is what keeps a pass's cost to its batch and the last second of
-- events, whatever the table's size. A `sweep` looks at every event instead (events written with
-- an explicit older `at`, e.g. a backfill).
CREATE FUNCTION "flowgate_audit_seal"(max_events int, sweep boolean DEFAULT false) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  head "audit_chain_head";
  horizon timestamptz;
  candidate record;
  pos bigint;
  prev bytea;
  positions bigint[] := '{}';
  ids uuid[] := '{}';
  ats timestamptz[] := '{}';
  seqs bigint[] := '{}';
  digests bytea[] := '{}';
  prevs bytea[] := '{}';
  hashes bytea[] := '{}';
  last_id uuid;
  last_seq bigint;
BEGIN
  SELECT * INTO head FROM "audit_chain_head" WHERE "id" FOR UPDATE SKIP LOCKED;
  IF NOT FOUND THEN
    RETURN -1;
  END IF;
  -- Taken before the candidates' snapshot: a transaction invisible to it is running now or starts
  -- later, so its events have `at` (its start) >= the horizon. `at` is rounded to the millisecond,
  -- hence the second of margin below.
  SELECT coalesce(min(xact_start), now()) INTO horizon FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend';
  pos := head."seq";
  prev := head."hash";
  FOR candidate IN
    SELECT e."id", e."at", e."seq", "flowgate_audit_digest"(e) AS digest FROM "audit_events" e
    WHERE (sweep OR e."at" >= head."low_at" - interval '1 second' OR e."seq" > head."cap_seq")
      -- A lookup per candidate (LATERAL): candidates are few, the chain is long.
      AND NOT EXISTS (SELECT 1 FROM LATERAL (SELECT 1 FROM "audit_chain" c WHERE c."event_id" = e."id" LIMIT 1) sealed)
    ORDER BY e."seq" LIMIT max_events
  LOOP
    pos := pos + 1;
    positions := positions || pos;
    ids := ids || candidate."id";
    ats := ats || candidate."at";
    seqs := seqs || candidate."seq";
    digests := digests || candidate.digest;
    prevs := prevs || prev;
    prev := sha256(prev || candidate.digest);
    hashes := hashes || prev;
    last_id := candidate."id";
    last_seq := candidate."seq";
  END LOOP;
  IF last_id IS NOT NULL THEN
    INSERT INTO "audit_chain" ("chain_seq", "event_id", "event_at", "event_seq", "digest", "prev_hash", "hash")
    SELECT * FROM unnest(positions, ids, ats, seqs, digests, prevs, hashes);
  END IF;
  PERFORM set_config('flowgate.audit_sealing', 'on', true);
  -- After this pass an unsealed event is either invisible to it (at >= horizon) or, when the pass
  -- stopped at its batch size, after the last one it took in seq order.
  UPDATE "audit_chain_head" SET "seq" = pos, "hash" = prev, "event_id" = coalesce(last_id, "event_id"), "sealed_at" = now(),
    "low_at" = horizon,
    "cap_seq" = CASE WHEN cardinality(ids) >= max_events THEN last_seq END
  WHERE "id";
  PERFORM set_config('flowgate.audit_sealing', 'off', true);
  RETURN cardinality(ids);
END
$$;

-- The archive: detached months live on as tables in this schema (events and their chain rows,
-- until an operator exports and drops them); what the live chain needs to verify across them
-- stays in the two tables below.
CREATE SCHEMA IF NOT EXISTS "audit_archive";

CREATE TABLE "audit_archived_months" (
    "month" DATE NOT NULL,
    "table_name" TEXT NOT NULL,
    "chain_table_name" TEXT NOT NULL,
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

-- Detaches one month: seals everything first (a sweep), records the month's segments and head,
-- moves its chain rows to `audit_archive.audit_chain_YYYY_MM` and its partition to the archive
-- schema. Returns the number of events archived.
CREATE FUNCTION "flowgate_audit_archive_month"(month date) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  first date := date_trunc('month', month)::date;
  name text := format('audit_events_%s', to_char(first, 'YYYY_MM'));
  chain_name text := format('audit_chain_%s', to_char(first, 'YYYY_MM'));
  from_at timestamptz := first::timestamp AT TIME ZONE 'UTC';
  to_at timestamptz := (first + interval '1 month')::timestamp AT TIME ZONE 'UTC';
  n bigint;
BEGIN
  IF to_regclass(format('public.%I', name)) IS NULL THEN
    RETURN 0;
  END IF;
  WHILE "flowgate_audit_seal"(100000, true) <> 0 LOOP
  END LOOP;
  EXECUTE format('SELECT count(*) FROM %I', name) INTO n;
  EXECUTE format('CREATE TABLE "audit_archive".%I AS SELECT * FROM "audit_chain" WHERE "event_at" >= %L AND "event_at" < %L', chain_name, from_at, to_at);
  EXECUTE format($q$
    INSERT INTO "audit_archive_segments" ("first_chain_seq", "last_chain_seq", "month", "prev_hash", "hash")
    SELECT min(chain_seq), max(chain_seq), %L::date, (array_agg(prev_hash ORDER BY chain_seq))[1], (array_agg(hash ORDER BY chain_seq DESC))[1]
    FROM (SELECT chain_seq, prev_hash, hash, chain_seq - row_number() OVER (ORDER BY chain_seq) AS run FROM "audit_archive".%I) r
    GROUP BY run$q$, first, chain_name);
  EXECUTE format($q$
    INSERT INTO "audit_archived_months" ("month", "table_name", "chain_table_name", "events", "head_chain_seq", "head_hash")
    SELECT %L::date, %L, %L, %s, max(chain_seq), (array_agg(hash ORDER BY chain_seq DESC))[1] FROM "audit_archive".%I$q$,
    first, 'audit_archive.' || name, 'audit_archive.' || chain_name, n, chain_name);
  PERFORM set_config('flowgate.audit_archiving', 'on', true);
  DELETE FROM "audit_chain" WHERE "event_at" >= from_at AND "event_at" < to_at;
  PERFORM set_config('flowgate.audit_archiving', 'off', true);
  EXECUTE format('ALTER TABLE "audit_events" DETACH PARTITION %I', name);
  EXECUTE format('ALTER TABLE %I SET SCHEMA "audit_archive"', name);
  RETURN n;
END
$$;

SELECT "flowgate_audit_seal"(2147483647, true);
