-- 003: the figures that continue the original series and the harness's
-- own wall time (README "Which figure to compare").

-- --launch-start: from the job script's stamp before srun to the import
-- phase's first barrier (max over ranks), and to the import phase's end
-- (the original's `time srun python driver.py` figure); NULL without it.
ALTER TABLE results ADD COLUMN launch_s double precision;
ALTER TABLE results ADD COLUMN original_s double precision;

-- Rank 0, from the run's first barrier to the end of its phases: staging,
-- set-up checks, warm-up, start-up phase and import together.
ALTER TABLE results ADD COLUMN harness_wall_s double precision;
