-- Feedback (issue 13) names an answer by its trace id, and coverage gaps read how well the posts cover
-- each question. Added columns, so a database made by 0001 keeps its rows. `ADD COLUMN` has no
-- IF NOT EXISTS: `wrangler d1 migrations apply` runs this file once, and the worker's own once-per-isolate
-- run skips a column that is already there ("duplicate column name").
ALTER TABLE traces ADD COLUMN trace_id TEXT;              -- 32 random hex digits, sent to the reader as `done.trace`
ALTER TABLE traces ADD COLUMN coverage TEXT;              -- covered, thin or none; NULL without retrieval
CREATE UNIQUE INDEX IF NOT EXISTS traces_trace_id ON traces (trace_id);
CREATE INDEX IF NOT EXISTS feedback_at ON feedback (at_ms);
