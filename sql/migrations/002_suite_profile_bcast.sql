-- 002: import suites, the per-module import profile, and the figures of
-- node-local broadcast staging (filesystem kind bcast).

-- The import suite a run timed (conf's `suites`), or 'custom' for a
-- statement of its own; a report keeps suites apart.
ALTER TABLE results ADD COLUMN suite text;
UPDATE results SET suite = coalesce(json_string(result, 'suite'), 'custom') WHERE suite IS NULL AND result IS NOT NULL;

-- --profile-imports: {"ranks", "modules_seen", "modules": [{"module", "ranks",
-- "self_us": {"median", "max"}, "cumulative_us": {...}}, ...]}, the 20
-- costliest modules by median self time; NULL when not profiled.
ALTER TABLE results ADD COLUMN import_profile jsonb;

-- Staging: "staged" (a copy on the filesystem) or "bcast" (broadcast to
-- node-local storage); what rank 0 sent to the node leaders; and for bcast
-- the time to first import, staging plus the import phase's elapsed_s.
ALTER TABLE results ADD COLUMN staging_kind text;
ALTER TABLE results ADD COLUMN staging_bytes_sent bigint;
ALTER TABLE results ADD COLUMN time_to_first_import_s double precision;

-- The report groups on the suite too.
CREATE INDEX results_setup_suite_idx ON results (machine, filesystem, suite, ranks, run_at);
