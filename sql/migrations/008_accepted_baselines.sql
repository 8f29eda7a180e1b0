-- 008: baselines a person accepted with `--report --accept-baseline`: per
-- setup (as the report groups: machine, filesystem, ranks, and the suite's
-- name or the statement itself), the level the regression gate compares a
-- setup's current level against instead of the level before the window's
-- earliest change point. A known, accepted slowdown stops alarming; the
-- next one alarms again. Accepting again replaces the row.
CREATE TABLE accepted_baselines (
    machine      text NOT NULL,
    filesystem   text NOT NULL,
    ranks        integer NOT NULL,
    suite        text NOT NULL,
    level_s      double precision NOT NULL CHECK (level_s > 0 AND level_s < 'Infinity'),
    since        timestamptz NOT NULL,     -- the first ok run of the level accepted
    runs         integer NOT NULL,         -- the ok runs its median is of
    accepted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (machine, filesystem, ranks, suite)
);
