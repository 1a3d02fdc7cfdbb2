-- One row per /api/chat answer (issue 13). Applied by `wrangler d1 migrations apply twin-traces`;
-- the worker also runs it once per isolate (every statement is IF NOT EXISTS), so a fresh local
-- database works without a migration step.
CREATE TABLE IF NOT EXISTS traces (
  id          INTEGER PRIMARY KEY,
  at_ms       INTEGER NOT NULL,            -- when the request arrived (Unix ms)
  backend     TEXT    NOT NULL,
  probe       TEXT,                        -- the probe id when a probe button asked
  question    TEXT,                        -- NULL when TRACES = "metadata"
  hits        TEXT,                        -- JSON [[slug, score], ...] as retrieval returned them, NULL without retrieval
  top_score   REAL,                        -- the best hit's score; NULL without retrieval or hits
  answer      TEXT,                        -- NULL when TRACES = "metadata"
  outcome     TEXT    NOT NULL,            -- the stop reason, or the error code
  ttft_ms     INTEGER,
  total_ms    INTEGER NOT NULL,
  tokens_in   INTEGER,
  tokens_out  INTEGER,
  client      TEXT    NOT NULL             -- salted daily hash of the client network, never the address
);
CREATE INDEX IF NOT EXISTS traces_at ON traces (at_ms);
