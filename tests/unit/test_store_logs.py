"""The store's log lines, on SQLite and on PostgreSQL: order and numbering, filters as a live line is
filtered, tails, size and deletion by age or by bytes."""

import pytest

from leveret.server.store import LogFilter, base
from test_store_contract import store, store_url  # noqa: F401,F811  (fixtures: each test on both backends)


def log(app_id, text, *, input_id="in-1"):
    return (app_id, "f", "ct-1", input_id, 1, 1.5, text)


def test_logs_come_back_in_order_with_their_seq(store):
    last = store.add_logs([log("ap-1", "a"), log("ap-1", "b"), log("ap-1", "c")])
    rows = store.get_logs("ap-1")
    assert [r[7] for r in rows] == ["a", "b", "c"]
    assert [r[0] for r in rows] == [last - 2, last - 1, last]   # consecutive: the log hub relies on it


def test_logs_row_shape(store):
    store.add_logs([("ap-1", "f", "ct-1", "in-9", 2, 1.5, "hello")])
    [(seq, *rest)] = store.get_logs("ap-1")
    assert rest == ["ap-1", "f", "ct-1", "in-9", 2, 1.5, "hello"]


def test_log_timestamps_keep_double_precision(store):
    store.add_logs([("ap-1", "f", "ct-1", "in-1", 1, 1722000000.123456, "t")])
    assert store.get_logs("ap-1")[0][6] == 1722000000.123456


def test_get_logs_after_seq(store):
    first = store.add_logs([log("ap-1", "a"), log("ap-1", "b")])
    store.add_logs([log("ap-1", "c")])
    assert [r[7] for r in store.get_logs("ap-1", after_seq=first)] == ["c"]


def test_get_logs_filters_by_app_and_honours_limit(store):
    store.add_logs([log("ap-1", "a"), log("ap-2", "x"), log("ap-1", "b"), log("ap-1", "c")])
    assert [r[7] for r in store.get_logs("ap-1", limit=2)] == ["a", "b"]
    assert [r[7] for r in store.get_logs("ap-2")] == ["x"]


def rich_logs(store):
    """Lines of two functions in two containers at times 10, 20, ... 80."""
    rows = [("ap-1", fn, ct, "in-1", 1, float(t), text) for fn, ct, t, text in (
        ("train", "ct-a", 10, "epoch 1 loss=0.9"), ("eval", "ct-b", 20, "ERROR bad batch"),
        ("train", "ct-a", 30, "epoch 2 loss=0.5"), ("train", "ct-c", 40, "error: retrying"),
        ("eval", "ct-b", 50, "accuracy 0.93"), ("train", "ct-c", 60, "epoch 3 loss=0.3"),
        ("eval", "ct-b", 70, "ERROR again"), ("train", "ct-a", 80, "done 100%_?"),
    )]
    store.add_logs(rows + [("ap-2", "train", "ct-z", "in-2", 1, 45.0, "other app ERROR")])


def texts(rows):
    return [r[7] for r in rows]


@pytest.mark.parametrize("flt, expected", [
    (LogFilter(function_name="eval"), ["ERROR bad batch", "accuracy 0.93", "ERROR again"]),
    (LogFilter(container_id="ct-c"), ["error: retrying", "epoch 3 loss=0.3"]),
    (LogFilter(since=30.0, until=50.0), ["epoch 2 loss=0.5", "error: retrying", "accuracy 0.93"]),
    (LogFilter(search="ERROR"), ["ERROR bad batch", "ERROR again"]),   # case-sensitive, this app only
    (LogFilter(search="%_?"), ["done 100%_?"]),                        # no wildcards, no placeholders
    (LogFilter(function_name="train", search="epoch", since=25.0), ["epoch 2 loss=0.5", "epoch 3 loss=0.3"]),
    (LogFilter(function_name="nope"), []),
])
def test_get_logs_applies_every_filter_like_a_live_line_would(store, flt, expected):
    rich_logs(store)
    rows = store.get_logs("ap-1", flt=flt)
    assert texts(rows) == expected
    every = store.get_logs("ap-1")
    assert texts(r for r in every if flt.matches(r[2], r[3], r[6], r[7])) == expected


def test_tail_logs_gives_the_last_matching_lines_oldest_first(store):
    rich_logs(store)
    assert texts(store.tail_logs("ap-1", 2)) == ["ERROR again", "done 100%_?"]
    assert texts(store.tail_logs("ap-1", 2, LogFilter(function_name="train"))) == ["epoch 3 loss=0.3", "done 100%_?"]
    assert texts(store.tail_logs("ap-1", 50, LogFilter(search="ERROR"))) == ["ERROR bad batch", "ERROR again"]
    assert store.tail_logs("ap-3", 5) == []


def test_last_log_seq(store):
    assert store.last_log_seq() == 0
    last = store.add_logs([log("ap-1", "a"), log("ap-2", "b")])
    assert store.last_log_seq() == last


def test_lines_numbered_by_the_log_hub_keep_their_seqs_and_no_seq_is_given_twice(store):
    store.add_logs([log("ap-1", "a")])
    assert store.add_logs([log("ap-1", "b"), log("ap-2", "c")], first_seq=5) == 6
    assert [(r[0], r[7]) for r in store.get_logs("ap-1")] == [(1, "a"), (5, "b")]
    assert store.last_log_seq() == 6
    assert store.delete_oldest_logs(10 ** 9, 100)[0] == 3       # every line gone
    assert store.last_log_seq() == 6                             # its seqs are not given again
    assert store.add_logs([log("ap-1", "d")]) == 7               # by the store either
    assert store.add_logs([log("ap-1", "e")], first_seq=8) == 8


def test_logs_size_counts_text_and_a_cost_per_line(store):
    assert store.logs_size() == 0
    store.add_logs([log("ap-1", "abc"), log("ap-1", "de")])
    assert store.logs_size() == 5 + 2 * base.LOG_ROW_BYTES


def test_deleting_logs_before_a_time_goes_oldest_first_in_batches(store):
    rich_logs(store)
    assert store.delete_logs_before(45.0, limit=2) == (2, len("epoch 1 loss=0.9ERROR bad batch") + 2 * base.LOG_ROW_BYTES)
    assert store.delete_logs_before(45.0, limit=10)[0] == 2   # ap-2's line at 45 is not before 45
    assert store.delete_logs_before(45.0, limit=10) == (0, 0)
    assert texts(store.get_logs("ap-1")) == ["accuracy 0.93", "epoch 3 loss=0.3", "ERROR again", "done 100%_?"]
    assert texts(store.get_logs("ap-2")) == ["other app ERROR"]


def test_deleting_the_oldest_logs_frees_at_least_what_was_asked(store):
    store.add_logs([log("ap-1", "x" * 10) for _ in range(5)])
    one = 10 + base.LOG_ROW_BYTES
    assert store.delete_oldest_logs(one + 1, limit=100) == (2, 2 * one)
    assert store.delete_oldest_logs(10 * one, limit=2) == (2, 2 * one)   # the limit holds
    assert len(store.get_logs("ap-1")) == 1
    assert store.delete_oldest_logs(10 * one, limit=100) == (1, one)
    assert store.delete_oldest_logs(1, limit=100) == (0, 0)
