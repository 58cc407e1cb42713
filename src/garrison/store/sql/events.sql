-- Named queries over events and the audit chain. Each starts with a `-- name: <name>` line. Filters for
-- reading events are built from an EventQuery by garrison.store.events_sql (always with bound parameters).

-- name: instance
SELECT value FROM store_meta WHERE key = 'instance';

-- name: last_seq
SELECT seq FROM sqlite_sequence WHERE name = 'events';

-- name: insert_event
INSERT INTO events (seq, id, time, product, category, service, source, server, call_id, process_guid, fields,
                    links)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: insert_audit_event
INSERT INTO events (seq, id, time, product, category, service, source, server, call_id, process_guid, fields,
                    links, chain_pos, prev, hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: chain_head
SELECT chain_pos, hash FROM events WHERE chain_pos IS NOT NULL ORDER BY chain_pos DESC LIMIT 1;

-- name: audit_base
SELECT pos, hash, pruned FROM audit_base WHERE id = 1;

-- name: set_audit_base
INSERT INTO audit_base (id, pos, hash, pruned) VALUES (1, :pos, :hash, :pruned)
ON CONFLICT (id) DO UPDATE SET pos = excluded.pos, hash = excluded.hash, pruned = excluded.pruned;

-- name: audit_records
SELECT chain_pos, prev, hash, id, time, product, category, service, source, fields, links
FROM events WHERE chain_pos IS NOT NULL ORDER BY chain_pos;

-- name: count_all
SELECT COUNT(*) FROM events;

-- name: prune_keep_from
SELECT MIN(chain_pos) FROM events
WHERE chain_pos IS NOT NULL
  AND NOT (time < :cutoff OR seq IN (SELECT seq FROM events ORDER BY time, seq LIMIT :excess));

-- name: chain_last
SELECT MAX(chain_pos) FROM events;

-- name: chain_hash_at
SELECT hash FROM events WHERE chain_pos = :pos;

-- name: prune
DELETE FROM events
WHERE (time < :cutoff OR seq IN (SELECT seq FROM events ORDER BY time, seq LIMIT :excess))
  AND (chain_pos IS NULL OR chain_pos <= :keep_until);

-- Deferred index building for bulk imports (garrison.store.events_bulk).
-- name: deferrable_indexes
SELECT name, sql FROM sqlite_master
WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE %'
ORDER BY name;

-- name: deferred_get
SELECT value FROM store_meta WHERE key = 'deferred_indexes';

-- name: deferred_set
INSERT INTO store_meta (key, value) VALUES ('deferred_indexes', ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value;

-- name: deferred_clear
DELETE FROM store_meta WHERE key = 'deferred_indexes';
