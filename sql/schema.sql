-- sql/schema.sql: version 1 of the results database: one row per benchmark
-- run, reserved before the launch and filled in (or closed) afterwards.
--
-- Applied once by `harness --db-init`, inside a transaction, and recorded in
-- schema_migrations with its checksum. Never edit it once deployed: later
-- changes go in sql/migrations/NNN_name.sql (see the README there).

-- Typed reads of the run's JSON that give NULL, never an error, when a key
-- is missing or of another type: a result whose JSON gained or changed a
-- field is still recorded, its whole JSON is kept in results.result.
CREATE FUNCTION json_number(j jsonb, key text) RETURNS double precision
    LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT CASE WHEN jsonb_typeof(j -> key) = 'number' THEN (j ->> key)::double precision END $$;

CREATE FUNCTION json_integer(j jsonb, key text) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT CASE WHEN jsonb_typeof(j -> key) = 'number' THEN round((j ->> key)::numeric)::bigint END $$;

CREATE FUNCTION json_string(j jsonb, key text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT CASE WHEN jsonb_typeof(j -> key) = 'string' THEN j ->> key END $$;

CREATE TABLE results (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,

    -- reserved: --reserve made it, no result yet (a run in progress, or one
    --           that died: --sweep turns it into lost after lost_after_hours);
    -- ok:       every rank imported, start-up phase included;
    -- failed:   some rank's child failed, or --mark-failed closed the row at
    --           a job step (failed_step) before there was a result;
    -- timeout:  some rank's child was killed at the harness's timeout;
    -- lost:     reserved and never heard of again (swept).
    status              text NOT NULL DEFAULT 'reserved'
                        CHECK (status IN ('reserved', 'ok', 'failed', 'timeout', 'lost')),
    reserved_at         timestamptz NOT NULL DEFAULT now(),   -- when --reserve (or the recorder) made the row
    started_at          timestamptz,        -- the run's start (first timed phase), from its JSON
    finished_at         timestamptz,        -- when the run ended (or was marked failed), not when it reached us
    -- The time a row counts at in reports: the run's start, else its reservation.
    run_at              timestamptz GENERATED ALWAYS AS (coalesce(started_at, reserved_at)) STORED,

    -- The setup: a report groups on machine, filesystem, ranks and import_statement.
    machine             text NOT NULL,      -- the config's machine name, verbatim
    filesystem          text NOT NULL,      -- the config's filesystem name, verbatim
    fs_kind             text,               -- inplace, staged or bcast
    ranks               integer,            -- MPI ranks: --reserve's --ranks, then the run's own count
    nodes               integer,            -- distinct hosts among the ranks
    job_id              text,               -- SLURM_JOB_ID, NULL outside Slurm
    import_statement    text,               -- the python statement timed ("import numpy")

    -- The headline: seconds from the barrier before the import phase to the
    -- barrier after it, the longest such span of any rank (the median over
    -- repeats with --repeat). NULL until a result is recorded.
    elapsed_s           double precision,
    -- Each rank's own import time (spawn to waitpid), over the ranks, seconds.
    per_rank_min        double precision,
    per_rank_median     double precision,
    per_rank_p90        double precision,
    per_rank_p99        double precision,
    per_rank_max        double precision,
    per_rank_mean       double precision,
    -- The same for `python -c pass`: interpreter start-up without the import.
    startup_elapsed_s   double precision,
    startup_min         double precision,
    startup_median      double precision,
    startup_p90         double precision,
    startup_max         double precision,
    -- Ranks whose import child exited 0, failed, or was killed at the timeout.
    ok_ranks            integer,
    failed_ranks        integer,
    timed_out_ranks     integer,
    startup_failed      integer,            -- the same counts for the start-up phase
    startup_timed_out   integer,
    slowest_rank        integer,            -- the rank with the longest import, and its host
    slowest_host        text,
    first_failure_rank  integer,            -- the lowest failed rank and its exit code (its
    first_failure_exit  integer,            -- stderr is in result->'first_failure')
    -- --mark-failed: the job step that failed ("stage", "checks", "run") and why.
    failed_step         text,
    failed_message      text,

    -- File metadata system calls of one import, counted with strace in one
    -- process before the timed phases (NULL when strace was unavailable;
    -- every call's count is in result->'metadata_ops').
    meta_total          bigint,
    meta_failed         bigint,             -- calls that returned -1
    meta_enoent         bigint,             -- of those, ENOENT: the module search's misses
    meta_openat         bigint,
    meta_newfstatat     bigint,

    -- Staging of the venv onto the filesystem before the run (NULL for
    -- filesystems used in place; all of it is in result->'staging').
    staging_seconds       double precision,
    staging_entries       bigint,           -- files, directories and links in the source
    staging_up_to_date    bigint,           -- already right on the target
    staging_copied        bigint,           -- new on the target
    staging_delta_updated bigint,           -- changed, updated with an rsync delta
    staging_deleted       bigint,           -- removed from the target
    staging_literal_bytes bigint,           -- bytes sent as literal data
    staging_matched_bytes bigint,           -- bytes reused from the target's old copy

    python_version      text,               -- of the venv's python, as it reported it
    numpy_version       text,

    result              jsonb,              -- the run's whole JSON, as the harness wrote it
    -- The result's identity, made by the recorder: a result sent twice (a
    -- spool flushed twice, or a crash between sending and removing the
    -- spool file) finds its key taken and is not recorded again.
    result_key          uuid UNIQUE,
    -- NULL when recorded straight after the run; otherwise why the database
    -- could not be used then, and the result waited in the spool directory.
    spooled_because     text
);

-- The report: every query is a window of days over run_at.
CREATE INDEX results_run_at_idx ON results (run_at);
-- The report's per-setup series, in time order.
CREATE INDEX results_setup_idx ON results (machine, filesystem, ranks, import_statement, run_at);
-- --sweep: only the few rows still reserved.
CREATE INDEX results_reserved_idx ON results (reserved_at) WHERE status = 'reserved';
