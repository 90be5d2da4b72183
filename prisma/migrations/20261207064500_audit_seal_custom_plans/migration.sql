-- The sealer plans its candidate query with each pass's own `low_at` and `cap_seq` (issue 11).
-- PL/pgSQL keeps a generic plan per session after five calls; made on a month's partition before
-- it was analyzed, that plan walked the `seq` index through the whole partition on every pass
-- (7,600 event rows read per pass for 100 new events, in test/store/audit-seal-plan.integration.test.ts),
-- where a plan for the actual values reads the new events by `at`. Planning costs well under a
-- millisecond, a few times a second.
ALTER FUNCTION "flowgate_audit_seal"(int, boolean) SET plan_cache_mode = force_custom_plan;
