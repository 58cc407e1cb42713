-- The Garrison store schema as the migrations leave it. Edit the migrations, then this file; a test checks
-- that both describe the same database.

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

CREATE TABLE events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL,
    time         REAL NOT NULL,
    product      TEXT,
    category     TEXT,
    service      TEXT,
    source       TEXT NOT NULL,
    server       TEXT,
    call_id      TEXT,
    process_guid TEXT,
    fields       TEXT NOT NULL,
    links        TEXT NOT NULL,
    chain_pos    INTEGER,
    prev         TEXT,
    hash         TEXT
);

CREATE UNIQUE INDEX events_id ON events (id);

CREATE INDEX events_time ON events (time);

CREATE INDEX events_logsource ON events (product, category, time);

CREATE INDEX events_server ON events (server, time) WHERE server IS NOT NULL;

CREATE UNIQUE INDEX events_chain ON events (chain_pos) WHERE chain_pos IS NOT NULL;

CREATE TABLE audit_base (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    pos    INTEGER NOT NULL,
    hash   TEXT NOT NULL,
    pruned INTEGER NOT NULL
);

CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

INSERT INTO store_meta (key, value) VALUES ('instance', lower(hex(randomblob(4))));
