-- The probe cache (issue 14): an answer replayed from it is traced like any other, marked here, so the
-- time to first token and the tokens of the answers the model made are not mixed with replays. Added
-- column, so earlier rows are kept (0: made by the model); the worker's own once-per-isolate run skips
-- a column that is already there.
ALTER TABLE traces ADD COLUMN cached INTEGER NOT NULL DEFAULT 0;   -- 1: replayed from the probe cache
