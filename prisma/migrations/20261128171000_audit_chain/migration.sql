-- AlterTable
ALTER TABLE "audit_events" ADD COLUMN     "hash" BYTEA,
ADD COLUMN     "prev_hash" BYTEA;

-- CreateTable
CREATE TABLE "audit_chain_head" (
    "id" BOOLEAN NOT NULL DEFAULT true,
    "seq" BIGINT NOT NULL DEFAULT 0,
    "hash" BYTEA NOT NULL,
    "event_id" UUID,

    CONSTRAINT "audit_chain_head_pkey" PRIMARY KEY ("id")
);


-- The audit trail is a hash chain computed by the database itself: every event stores the hash
-- of the previous event and sha256(prev_hash ‖ canonical serialization of its content). Inserts
-- serialize on the single head row, so the chain is linear and follows `seq` (the API's order).
ALTER TABLE "audit_chain_head" ADD CONSTRAINT "audit_chain_head_one_row" CHECK ("id");

-- Canonical serialization (version 1): a JSON array of the content columns, in this order, as
-- PostgreSQL prints jsonb (object keys sorted, no insignificant whitespace); `at` as epoch
-- milliseconds so the session's TimeZone cannot change it. Verification recomputes with this
-- same function, so the trigger and the verifier cannot disagree.
CREATE FUNCTION "flowgate_audit_content"(e "audit_events") RETURNS text LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_array(1, e.id, e.seq, (extract(epoch FROM e.at) * 1000)::bigint, e.sandbox, e.actor, e.action,
    e.resource_type, e.resource_id, e.platform_id, e.etag_before, e.etag_after, e.changes, e.before, e.after,
    e.operation_id, e.request_id)::text
$$;

CREATE FUNCTION "flowgate_audit_hash"(prev bytea, e "audit_events") RETURNS bytea LANGUAGE sql STABLE AS $$
  SELECT sha256(prev || convert_to("flowgate_audit_content"(e), 'UTF8'))
$$;

CREATE FUNCTION "flowgate_audit_chain"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head "audit_chain_head";
BEGIN
  -- The row lock is held until the transaction ends: concurrent audit writers queue here.
  SELECT * INTO head FROM "audit_chain_head" WHERE "id" FOR UPDATE;
  -- `seq` came from its default before the lock was taken; a writer that got a smaller number
  -- but lost the race for the lock takes a fresh one, so seq order is chain order.
  IF NEW."seq" IS NULL OR NEW."seq" <= head."seq" THEN
    NEW."seq" := nextval(pg_get_serial_sequence('"audit_events"', 'seq'));
  END IF;
  NEW."prev_hash" := head."hash";
  NEW."hash" := "flowgate_audit_hash"(head."hash", NEW);
  UPDATE "audit_chain_head" SET "seq" = NEW."seq", "hash" = NEW."hash", "event_id" = NEW."id" WHERE "id";
  RETURN NEW;
END
$$;

-- The head moves only through the chain trigger.
CREATE FUNCTION "flowgate_refuse_chain_head_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND pg_trigger_depth() > 1 THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_chain_head changes only with audit_events (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

-- Backfill: chain the existing events in seq order, starting from 32 zero bytes.
INSERT INTO "audit_chain_head" ("id", "seq", "hash") VALUES (true, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
ALTER TABLE "audit_events" DISABLE TRIGGER "audit_events_append_only";
DO $$
DECLARE
  e "audit_events";
  prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
  next_hash bytea;
BEGIN
  FOR e IN SELECT * FROM "audit_events" ORDER BY "seq" LOOP
    next_hash := "flowgate_audit_hash"(prev, e);
    UPDATE "audit_events" SET "prev_hash" = prev, "hash" = next_hash WHERE "id" = e."id";
    UPDATE "audit_chain_head" SET "seq" = e."seq", "hash" = next_hash, "event_id" = e."id" WHERE "id";
    prev := next_hash;
  END LOOP;
END
$$;
ALTER TABLE "audit_events" ENABLE TRIGGER "audit_events_append_only";

CREATE TRIGGER "audit_events_chain" BEFORE INSERT ON "audit_events" FOR EACH ROW EXECUTE FUNCTION "flowgate_audit_chain"();
CREATE TRIGGER "audit_chain_head_guard" BEFORE UPDATE OR DELETE ON "audit_chain_head" FOR EACH ROW EXECUTE FUNCTION "flowgate_refuse_chain_head_change"();
CREATE TRIGGER "audit_chain_head_no_truncate" BEFORE TRUNCATE ON "audit_chain_head" FOR EACH STATEMENT EXECUTE FUNCTION "flowgate_refuse_chain_head_change"();
