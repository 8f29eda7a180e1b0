-- 005: filesystem kind image (the venv as one squashfs image mounted on
-- each node): its size, its build time (0 when an up-to-date image was
-- reused) and the slowest node's mount time; NULL for other kinds.
ALTER TABLE results ADD COLUMN image_bytes bigint;
ALTER TABLE results ADD COLUMN image_build_s double precision;
ALTER TABLE results ADD COLUMN image_mount_s double precision;
