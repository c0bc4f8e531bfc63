"""Objects with a name (server/objects/): a deployed app's name, and the Volumes, Dicts, Queues and
Secrets to come. A name is unique per kind and environment; the id carries its kind's prefix;
``attributes`` is the kind's small JSON object.

Every deployed app had a name before this step: each gets its object here, its id made from its
first version's app id (``ap-X`` → ``dp-X``: unique, as app ids are), created when that version
was. (``'{{}}'`` is an empty JSON object: braces are doubled where a step is formatted.)"""

SQL = """
CREATE TABLE named_objects (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, environment TEXT NOT NULL, name TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL, attributes TEXT NOT NULL,
    UNIQUE (kind, environment, name)
);
CREATE INDEX named_objects_created ON named_objects(kind, environment, created_at);
INSERT INTO named_objects (id, kind, environment, name, created_at, attributes)
    SELECT 'dp-' || substr(d.app_id, 4), 'app', 'main', d.name, a.created_at, '{{}}'
    FROM deployments d JOIN apps a ON a.id = d.app_id
    WHERE d.version = (SELECT MIN(e.version) FROM deployments e WHERE e.name = d.name)
"""
