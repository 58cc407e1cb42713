-- Named queries of the SQLite store. Each starts with a `-- name: <name>` line.

-- name: insert_run
INSERT INTO runs (id, started, finished, status, source) VALUES (:id, :started, :finished, :status, :source);

-- name: insert_server
INSERT INTO run_servers (run_id, position, name, status, error, elapsed)
VALUES (:run_id, :position, :name, :status, :error, :elapsed);

-- name: insert_finding
INSERT INTO findings (run_id, position, fingerprint, rule, severity, server, target, body)
VALUES (:run_id, :position, :fingerprint, :rule, :severity, :server, :target, :body);

-- name: get_run
SELECT id, started, finished, status, source FROM runs WHERE id = :id;

-- name: list_runs
SELECT id, started, finished, status, source FROM runs ORDER BY started DESC, rowid DESC LIMIT :limit;

-- name: run_servers
SELECT name, status, error, elapsed FROM run_servers WHERE run_id = :run_id ORDER BY position;

-- name: run_findings
SELECT body FROM findings WHERE run_id = :run_id ORDER BY position;

-- name: insert_pin_event
INSERT INTO pin_history (time, server, target, action, old_hash, new_hash)
VALUES (:time, :server, :target, :action, :old_hash, :new_hash);

-- name: pin_history
SELECT time, server, target, action, old_hash, new_hash FROM pin_history
WHERE :server IS NULL OR server = :server
ORDER BY time DESC, id DESC LIMIT :limit;
