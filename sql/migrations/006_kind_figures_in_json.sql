-- 006: a filesystem kind's own figures (bcast's compression, the image's
-- size, build and mount times) live only in the result's JSON, under
-- result -> 'staging' -> '<kind>' (e.g. result #>> '{staging,image,mount_s}'):
-- no report read these columns, and each new kind would have added more.
ALTER TABLE results DROP COLUMN staging_bytes_uncompressed;
ALTER TABLE results DROP COLUMN staging_bytes_compressed;
ALTER TABLE results DROP COLUMN image_bytes;
ALTER TABLE results DROP COLUMN image_build_s;
ALTER TABLE results DROP COLUMN image_mount_s;
