-- 004: the compressed broadcast (kind bcast): the whole files' bytes
-- before and after zstd, once however many nodes received them. Since
-- this version staging_bytes_sent counts what crossed between nodes (0
-- with one node), no longer what rank 0 broadcast.
ALTER TABLE results ADD COLUMN staging_bytes_uncompressed bigint;
ALTER TABLE results ADD COLUMN staging_bytes_compressed bigint;
