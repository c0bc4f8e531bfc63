"""Finding: a crash re-ran an input once before retries= counted (retries=0 ran a crashed input
twice; retries=2 ran it four times while the log said "attempt 1 of 3"). Now an exception, a
timeout and a crash each use one of retries= (an out-of-memory kill too: tests/container), a
second container ended under the same input fails it as a poison input, and the "attempt N of M"
lines match the executions counted."""

import re

import pytest

import leveret
from apps import attempts
from leveret.server.store import Store
from leveret.testing import Cluster


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    with Cluster(tmp_path_factory.mktemp("attempts")) as c:
        with attempts.app.run(show_logs=False):
            yield c


def attempt_lines(rows) -> list[str]:
    return [row[-1] for row in rows if re.search(r"failed \(attempt \d+ of \d+\)", row[-1])]


def runs(path):
    return len(path.read_text()) if path.exists() else 0


@pytest.mark.parametrize("fn, error, executions, lines", [
    (attempts.raises, ValueError, 3, ["attempt 1 of 3", "attempt 2 of 3", "attempt 3 of 3"]),
    (attempts.overruns, leveret.FunctionTimeoutError, 2, ["attempt 1 of 2", "attempt 2 of 2"]),
    # the second crash under the same input makes it a poison input, retries left or not
    (attempts.crashes, leveret.ExecutionError, 2, ["attempt 1 of 3", "attempt 2 of 3"]),
    (attempts.crashes_without_retries, leveret.ExecutionError, 1, []),
])
def test_each_attempt_uses_a_retry_and_is_logged_as_it_ran(running, tmp_path, fn, error, executions, lines):
    path = tmp_path / "runs"
    before = len(attempt_lines(running.stored(Store.get_logs, attempts.app.app_id)))
    with pytest.raises(error):
        fn.remote(str(path))
    assert runs(path) == executions
    rows = running.wait_stored(lambda rows: len(attempt_lines(rows)) - before >= len(lines),
                               Store.get_logs, attempts.app.app_id, timeout=5)
    logged = attempt_lines(rows)[before:]
    assert [re.search(r"attempt \d+ of \d+", t).group(0) for t in logged] == lines


def test_a_poison_input_says_why_it_is_not_run_again(running, tmp_path):
    with pytest.raises(leveret.ExecutionError, match="2 containers or workers ended in a row"):
        attempts.crashes.remote(str(tmp_path / "runs"))
