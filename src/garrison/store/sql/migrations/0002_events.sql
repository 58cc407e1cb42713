-- 0002: events (one row per Event, fields as JSON) and the audit hash chain over tool-call records.
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

CREATE INDEX events_source ON events (source, time);

CREATE INDEX events_server ON events (server, time) WHERE server IS NOT NULL;

CREATE INDEX events_call_id ON events (call_id) WHERE call_id IS NOT NULL;

CREATE INDEX events_process_guid ON events (process_guid) WHERE process_guid IS NOT NULL;

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
