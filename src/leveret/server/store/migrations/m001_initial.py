"""The tables of the first release (before versions were kept): apps, functions, calls, inputs and
outputs, containers, workers, logs, blobs and mounts, deployments, schedules, worker tokens."""

SQL = """
CREATE TABLE apps (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, state TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL, stopped_at DOUBLE PRECISION, stop_reason TEXT
);
CREATE TABLE functions (
    id TEXT PRIMARY KEY, app_id TEXT NOT NULL, name TEXT NOT NULL, definition {bytes} NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE calls (
    id TEXT PRIMARY KEY, function_id TEXT NOT NULL, kind TEXT NOT NULL, total BIGINT,
    created_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE inputs (
    id TEXT PRIMARY KEY, call_id TEXT NOT NULL, idx BIGINT NOT NULL, args {bytes} NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued', created_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX inputs_call ON inputs(call_id, idx);
CREATE TABLE outputs (
    input_id TEXT NOT NULL, call_id TEXT NOT NULL, seq BIGINT NOT NULL, idx BIGINT NOT NULL,
    status BIGINT NOT NULL, data {bytes} NOT NULL, gen_index BIGINT NOT NULL, message TEXT NOT NULL,
    container_id TEXT NOT NULL, finished_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (call_id, seq)
);
CREATE TABLE containers (
    id TEXT PRIMARY KEY, function_id TEXT NOT NULL, app_id TEXT NOT NULL, worker_id TEXT NOT NULL,
    state TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, stopped_at DOUBLE PRECISION,
    exit_code BIGINT, message TEXT, phases TEXT
);
CREATE TABLE workers (
    id TEXT PRIMARY KEY, hostname TEXT NOT NULL, runtime TEXT NOT NULL, info TEXT NOT NULL,
    connected_at DOUBLE PRECISION NOT NULL, disconnected_at DOUBLE PRECISION
);
CREATE TABLE logs (
    seq {serial}, app_id TEXT NOT NULL, function_name TEXT NOT NULL,
    container_id TEXT NOT NULL, input_id TEXT NOT NULL, source BIGINT NOT NULL, ts DOUBLE PRECISION NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX logs_app ON logs(app_id, seq);
CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, content {bytes} NOT NULL);
CREATE TABLE mounts (id TEXT PRIMARY KEY, files TEXT NOT NULL);
CREATE TABLE deployments (
    app_id TEXT PRIMARY KEY, name TEXT NOT NULL, version BIGINT NOT NULL, published_at DOUBLE PRECISION,
    UNIQUE (name, version)
);
CREATE TABLE schedules (
    app_name TEXT NOT NULL, function_name TEXT NOT NULL, spec TEXT NOT NULL,
    anchor DOUBLE PRECISION NOT NULL, PRIMARY KEY (app_name, function_name)
);
CREATE TABLE worker_tokens (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL UNIQUE,
    created_at DOUBLE PRECISION NOT NULL, revoked_at DOUBLE PRECISION
);
CREATE TABLE schedule_ticks (
    app_name TEXT NOT NULL, function_name TEXT NOT NULL, tick DOUBLE PRECISION NOT NULL,
    call_id TEXT NOT NULL, fired_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (app_name, function_name, tick)
);
"""
