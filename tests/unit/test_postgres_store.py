"""What only the PostgreSQL backend does: its URLs, its connection errors. Concurrent start-ups:
test_store_migrations.py."""

import psycopg
import pytest

from leveret.server.store import open_store
from leveret.server.store.postgres import PostgresStore


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_open_store_postgres_url(postgres_url, scheme):
    url = scheme + postgres_url[postgres_url.index(":"):]
    s = open_store(url)
    try:
        assert isinstance(s, PostgresStore)
        s.create_app("ap-1", "etl", "")
        assert s.get_app("ap-1")["name"] == "etl"
    finally:
        s.close()


def test_open_store_with_a_missing_database_names_the_fix(postgres):
    with pytest.raises(psycopg.OperationalError, match="createdb"):
        open_store(postgres.url("no_such_database"))


def test_connection_is_in_autocommit_outside_transactions(postgres_url, postgres):
    s = open_store(postgres_url)
    try:
        s.create_app("ap-1", "etl", "")
        assert s.db.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    finally:
        s.close()
