-- 007: the metadata server's load (README "The metadata server's load"):
-- the growth of the filesystem probe's counters over the import phase,
-- summed over the nodes probed and the repeats. NULL without a probe, or
-- when the probe failed (the reason is in result -> 'server_ops' ->> 'error').
-- The per-counter detail stays in the stored JSON:
-- result #> '{server_ops,counters}', result #>> '{server_ops,per_rank_import}'.
ALTER TABLE results ADD COLUMN server_ops_total bigint;
