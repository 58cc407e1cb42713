-- 0001: scan runs, per-server status, findings and pin history.
CREATE TABLE runs (
    id       TEXT PRIMARY KEY,
    started  REAL NOT NULL,
    finished REAL NOT NULL,
    status   TEXT NOT NULL CHECK (status IN ('complete', 'incomplete')),
    source   TEXT NOT NULL
);

CREATE INDEX runs_started ON runs (started);

CREATE TABLE run_servers (
    run_id   TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name     TEXT NOT NULL,
    status   TEXT NOT NULL CHECK (status IN ('ok', 'error', 'timeout', 'skipped')),
    error    TEXT,
    elapsed  REAL,
    PRIMARY KEY (run_id, position)
);

CREATE TABLE findings (
    run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    rule        TEXT NOT NULL,
    severity    INTEGER NOT NULL,
    server      TEXT NOT NULL,
    target      TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (run_id, position)
);

CREATE INDEX findings_fingerprint ON findings (fingerprint);

CREATE TABLE pin_history (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    time     REAL NOT NULL,
    server   TEXT NOT NULL,
    target   TEXT NOT NULL,
    action   TEXT NOT NULL CHECK (action IN ('pinned', 'approved', 'drift')),
    old_hash TEXT,
    new_hash TEXT
);

CREATE INDEX pin_history_server ON pin_history (server, time);
