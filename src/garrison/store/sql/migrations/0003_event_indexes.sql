-- 0003: fewer indexes on events, so appending stays fast. Every index is written on every append; these
-- three served no query path that needs them:
--   events_source        source filters read in time order (events_time) or by log source (events_logsource)
--   events_call_id       call ids are looked up per server (events_server) or read from a time window
--   events_process_guid  process storylines are built from a time window; a hunt by process GUID scans
DROP INDEX events_source;

DROP INDEX events_call_id;

DROP INDEX events_process_guid;
