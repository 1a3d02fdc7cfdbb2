-- Readers' verdicts and jailbreak reports on answers (issue 13), joined to `traces` by trace_id. One
-- verdict (up or down, the newest wins) and one report per answer. Every statement is IF NOT EXISTS:
-- the worker runs it once per isolate, like 0001.
CREATE TABLE IF NOT EXISTS feedback (
  id            INTEGER PRIMARY KEY,
  at_ms         INTEGER NOT NULL,          -- when it arrived (Unix ms)
  trace_id      TEXT    NOT NULL,          -- the answer's traces.trace_id
  slot          TEXT    NOT NULL,          -- verdict or report
  kind          TEXT    NOT NULL,          -- up, down or jailbreak
  comment       TEXT,                      -- NULL when TRACES = "metadata" or none was given
  conversation  TEXT,                      -- a report's JSON [{role, content}, ...]; NULL as comment
  client        TEXT    NOT NULL,          -- salted daily hash of the client network, as in traces
  UNIQUE (trace_id, slot)
);
