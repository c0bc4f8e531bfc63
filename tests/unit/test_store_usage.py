"""The store's daily usage sums (store/usage.py), on SQLite and on PostgreSQL."""

from leveret.server.store.usage import DAY_S, day_of
from test_store_contract import store, store_url  # noqa: F401  (fixtures: each test on both backends)

DAY = 20_000 * DAY_S


def test_usage_adds_up_per_function_and_day_and_old_days_go(store):
    store.add_usage([("etl", "load", DAY, 1.0, 10.0, 0.0), ("etl", "load", DAY, 2.0, 20.0, 3.0)])   # one day's sums
    store.add_usage([("etl", "load", DAY + DAY_S, 4.0, 0.0, 0.0), ("web", "serve", DAY + DAY_S, 0.5, 5.0, 0.0)])
    assert store.usage_since(DAY + 10) == {("etl", "load"): (7.0, 30.0, 3.0), ("web", "serve"): (0.5, 5.0, 0.0)}
    assert store.usage_since(DAY + DAY_S + 10) == {("etl", "load"): (4.0, 0.0, 0.0), ("web", "serve"): (0.5, 5.0, 0.0)}
    assert store.delete_usage_before(DAY + DAY_S + 10) == 1   # the first day ended before it
    assert store.usage_since(0) == {("etl", "load"): (4.0, 0.0, 0.0), ("web", "serve"): (0.5, 5.0, 0.0)}


def test_a_day_starts_at_utc_midnight():
    assert day_of(DAY + 3600.5) == DAY and day_of(DAY) == DAY
