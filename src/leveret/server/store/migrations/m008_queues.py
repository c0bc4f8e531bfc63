"""A Queue's values (server/queues.py): an auto-numbered id orders each partition; a partition's row
says when it is cleared (partition_ttl after its last put). And Dict entries by age, for their
expiry (server/expiry.py)."""

SQL = """
CREATE TABLE queue_items (
    item_id {serial}, queue_id TEXT NOT NULL, part {bytes} NOT NULL, value {bytes} NOT NULL
);
CREATE INDEX queue_items_by_part ON queue_items (queue_id, part, item_id);
CREATE TABLE queue_partitions (
    queue_id TEXT NOT NULL, part {bytes} NOT NULL, expires_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (queue_id, part)
);
CREATE INDEX queue_partitions_by_expiry ON queue_partitions (expires_at);
CREATE INDEX dict_entries_by_age ON dict_entries (updated_at)
"""
