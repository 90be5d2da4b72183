-- Audit digest version 3 (issue 16): a chain link that verification can recompute in a couple of
-- microseconds. Hand-written: Prisma cannot express functions or the history-preserving steps below.
--
-- Version 2 hashes a jsonb array printed by PostgreSQL; printing the three jsonb columns
-- (`jsonb_out`) alone cost more than the whole budget of a verification at a million events per
-- second, and each link took two sha256 calls (about half a microsecond each, most of it per call).
--
-- 1. `changes`, `before` and `after` are stored as text: the JSON text PostgreSQL prints for jsonb.
--    Writers still hand them over as jsonb (`$n::jsonb`, `jsonb_to_recordset`), so the value is
--    checked and printed once, at insert, and the stored text is exactly what version 2 printed —
--    existing rows are converted with that same print (`::text`) and keep their version-2 digests.
-- 2. Version 3 content (`flowgate_audit_content_v3`): `3|id|seq|epoch ms|resource_type|resource_id|operation_id|`
--    then each text column as `<octet length>:<text>`, a null as `:` alone. Fixed fields cannot hold
--    `|` and every text field says its length, so no two events share a content (no field can
--    borrow another's text, and null differs from '').
-- 3. Version 3 link: `hash = sha256(prev_hash || content)` — one sha256 per event. `digest` still
--    holds sha256(content): verification does not need it, it tells a changed event from a
--    rewritten chain row when a link fails.
-- 4. `audit_chain.version` says how each row was linked: 2 for every row sealed before this
--    migration (the column's value for existing rows), 3 for every row the sealer writes now. No
--    chain row is rewritten.

ALTER TABLE "audit_events"
  ALTER COLUMN "changes" TYPE TEXT USING "changes"::text,
  ALTER COLUMN "changes" SET DEFAULT '[]',
  ALTER COLUMN "before" TYPE TEXT USING "before"::text,
  ALTER COLUMN "after" TYPE TEXT USING "after"::text;

ALTER TABLE "audit_chain" ADD COLUMN "version" SMALLINT NOT NULL DEFAULT 2;
-- Existing rows keep 2; the sealer names the version of every row it writes.
ALTER TABLE "audit_chain" ALTER COLUMN "version" DROP DEFAULT;

-- Version 2, the same text as before: the jsonb array printed as PostgreSQL prints jsonb, with the
-- three JSON columns spliced in as stored (they hold jsonb's own print of each value, which is
-- how an array prints its elements). Reading them back as jsonb to print them again cost 8.4 µs
-- per event against 5.1 µs spliced (1M events, one core); both gave the same text for every event.
CREATE OR REPLACE FUNCTION "flowgate_audit_content"(e "audit_events") RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT left(jsonb_build_array(2, e.id, e.seq, (extract(epoch FROM e.at) * 1000)::bigint, e.sandbox, e.actor, e.action,
      e.resource_type, e.resource_id, e.platform_id, e.etag_before, e.etag_after)::text, -1)
    || ', ' || e.changes || ', ' || coalesce(e.before, 'null') || ', ' || coalesce(e.after, 'null') || ', '
    || substr(jsonb_build_array(e.operation_id, e.request_id)::text, 2)
$$;

-- Version 3 content; src/store/audit-content.ts reproduces it byte for byte. One concat() call
-- (arguments printed by their type's output function: uuid lower-case, bigint decimal).
CREATE FUNCTION "flowgate_audit_content_v3"(e "audit_events") RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT concat('3|', e.id, '|', e.seq, '|', (extract(epoch FROM e.at) * 1000)::bigint, '|', e.resource_type, '|', e.resource_id, '|', e.operation_id, '|',
    octet_length(e.sandbox), ':', e.sandbox, octet_length(e.actor), ':', e.actor, octet_length(e.action), ':', e.action,
    octet_length(e.platform_id), ':', e.platform_id, octet_length(e.etag_before), ':', e.etag_before, octet_length(e.etag_after), ':', e.etag_after,
    octet_length(e.request_id), ':', e.request_id, octet_length(e.changes), ':', e.changes, octet_length(e.before), ':', e.before,
    octet_length(e.after), ':', e.after)
$$;

-- The bytes version 3 hashes.
CREATE FUNCTION "flowgate_audit_content_v3_bytes"(e "audit_events") RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT convert_to("flowgate_audit_content_v3"(e), 'UTF8')
$$;

-- Whether a chain row's link checks out against its event (null event: false), whatever its
-- version. The verifier inlines the same expression; this one serves the archive's check and tests.
CREATE FUNCTION "flowgate_audit_link_ok"(version smallint, prev_hash bytea, digest bytea, hash bytea, e "audit_events") RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(CASE WHEN version = 3 THEN hash = sha256(prev_hash || "flowgate_audit_content_v3_bytes"(e))
                       ELSE hash = sha256(prev_hash || digest) AND "flowgate_audit_digest"(e) = digest END, false)
$$;

-- The sealer links with version 3: the content is printed once per event, for the digest and the link.
CREATE OR REPLACE FUNCTION "flowgate_audit_seal"(max_events int, sweep boolean DEFAULT false) RETURNS int LANGUAGE plpgsql AS $$
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
    SELECT e."id", e."at", e."seq", "flowgate_audit_content_v3_bytes"(e) AS content FROM "audit_events" e
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
    digests := digests || sha256(candidate.content);
    prevs := prevs || prev;
    prev := sha256(prev || candidate.content);
    hashes := hashes || prev;
    last_id := candidate."id";
    last_seq := candidate."seq";
  END LOOP;
  IF last_id IS NOT NULL THEN
    INSERT INTO "audit_chain" ("chain_seq", "event_id", "event_at", "event_seq", "version", "digest", "prev_hash", "hash")
    SELECT p, i, a, s, 3, d, pv, h FROM unnest(positions, ids, ats, seqs, digests, prevs, hashes) AS u(p, i, a, s, d, pv, h);
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
-- CREATE OR REPLACE drops the function's settings: plan each pass for its own values, as before.
ALTER FUNCTION "flowgate_audit_seal"(int, boolean) SET plan_cache_mode = force_custom_plan;
