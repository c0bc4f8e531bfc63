import pytest
from hypothesis import given
from hypothesis import strategies as st

from leveret.worker import logbuf
from leveret.worker.logbuf import MAX_LINE_CHARS, LineSplitter


class Recorder:
    def __init__(self):
        self.lines: list[tuple[int, str, str]] = []
        self.splitter = LineSplitter(lambda stream, texts, input_id: self.lines.extend(
            (stream, text, input_id) for text in texts))

    def texts(self, stream=1):
        return [text for s, text, _ in self.lines if s == stream]


@pytest.fixture
def rec():
    return Recorder()


def test_complete_lines_are_emitted_at_once(rec):
    rec.splitter.feed(1, "a\nb\n", "in-1")
    assert rec.lines == [(1, "a", "in-1"), (1, "b", "in-1")]


def test_a_line_split_across_chunks_is_emitted_whole(rec):
    rec.splitter.feed(1, "hel", "in-1")
    assert rec.lines == []
    rec.splitter.feed(1, "lo\nwor", "in-1")
    rec.splitter.feed(1, "ld\n", "in-1")
    assert rec.texts() == ["hello", "world"]


def test_empty_lines_are_kept(rec):
    rec.splitter.feed(1, "a\n\nb\n", "in-1")
    assert rec.texts() == ["a", "", "b"]


def test_partial_lines_are_kept_per_stream(rec):
    rec.splitter.feed(1, "out-", "in-1")
    rec.splitter.feed(2, "err-", "in-1")
    rec.splitter.feed(1, "line\n", "in-1")
    rec.splitter.feed(2, "line\n", "in-1")
    assert rec.lines == [(1, "out-line", "in-1"), (2, "err-line", "in-1")]


def test_crlf_ends_a_line(rec):
    rec.splitter.feed(1, "a\r\nb\r", "in-1")
    rec.splitter.feed(1, "\n", "in-1")   # \r and \n in separate chunks
    assert rec.texts() == ["a", "b"]


def test_flush_all_emits_partial_lines_of_every_stream(rec):
    rec.splitter.feed(1, "no newline", "in-1")
    rec.splitter.feed(2, "nor here", "in-2")
    rec.splitter.flush_all()
    assert sorted(rec.lines) == [(1, "no newline", "in-1"), (2, "nor here", "in-2")]


def test_flush_all_forgets_what_it_emitted(rec):
    rec.splitter.feed(1, "x", "in-1")
    rec.splitter.flush_all()
    rec.splitter.flush_all()
    rec.splitter.feed(1, "y\n", "in-1")
    assert rec.texts() == ["x", "y"]


def test_flush_all_with_nothing_pending_emits_nothing(rec):
    rec.splitter.feed(1, "done\n", "in-1")
    rec.splitter.flush_all()
    assert rec.texts() == ["done"]


def test_long_line_is_split_into_pieces_of_at_most_max_line_chars(rec):
    line = "".join(chr(ord("a") + i % 26) for i in range(MAX_LINE_CHARS * 2 + 10))
    rec.splitter.feed(1, line + "\n", "in-1")
    pieces = rec.texts()
    assert [len(p) for p in pieces] == [MAX_LINE_CHARS, MAX_LINE_CHARS, 10]
    assert "".join(pieces) == line


def test_long_partial_line_is_emitted_before_its_newline_arrives(rec):
    line = "x" * (MAX_LINE_CHARS + 5)
    rec.splitter.feed(1, line, "in-1")   # no newline: memory must stay bounded
    assert rec.texts() == ["x" * MAX_LINE_CHARS]
    rec.splitter.feed(1, "\n", "in-1")
    assert "".join(rec.texts()) == line
    assert all(len(p) <= MAX_LINE_CHARS for p in rec.texts())


def test_line_of_exactly_max_line_chars_with_a_late_newline_adds_no_empty_line(rec):
    rec.splitter.feed(1, "x" * MAX_LINE_CHARS, "in-1")
    rec.splitter.feed(1, "\nnext\n", "in-1")
    assert rec.texts() == ["x" * MAX_LINE_CHARS, "next"]


def test_each_line_is_attributed_to_the_input_that_wrote_it(rec):
    rec.splitter.feed(1, "one\n", "in-1")
    rec.splitter.feed(1, "two\n", "in-2")
    assert rec.lines == [(1, "one", "in-1"), (1, "two", "in-2")]


def test_a_line_started_by_one_input_is_attributed_to_it(rec):
    rec.splitter.feed(1, "progress: ", "in-1")
    rec.splitter.feed(1, "done\nnext\n", "in-2")
    assert rec.lines == [(1, "progress: done", "in-1"), (1, "next", "in-2")]


def test_a_line_started_by_one_input_keeps_its_input_over_more_chunks(rec):
    # same as above, but the other input's part comes in two chunks
    rec.splitter.feed(1, "progress: ", "in-1")
    rec.splitter.feed(1, "do", "in-2")
    rec.splitter.feed(1, "ne\n", "in-2")
    assert rec.lines == [(1, "progress: done", "in-1")]


SMALL_MAX = 4


def split_at(text, cuts):
    bounds = sorted({c % (len(text) + 1) for c in cuts})
    return [text[a:b] for a, b in zip([0, *bounds], [*bounds, len(text)])]


def run(chunks):
    r = Recorder()
    for chunk in chunks:
        r.splitter.feed(1, chunk, "in-1")
    r.splitter.flush_all()
    return r.texts()


@given(st.text(alphabet="ab\r\n", max_size=40), st.lists(st.integers(0, 40), max_size=6))
def test_lines_do_not_depend_on_how_the_stream_is_chunked(text, cuts):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(logbuf, "MAX_LINE_CHARS", SMALL_MAX)
        assert run(split_at(text, cuts)) == run([text])


@given(st.text(alphabet="ab", max_size=40), st.lists(st.integers(0, 40), max_size=6))
def test_nothing_is_lost_and_no_piece_is_too_long(line, cuts):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(logbuf, "MAX_LINE_CHARS", SMALL_MAX)
        pieces = run(split_at(line, cuts))
    assert "".join(pieces) == line
    assert all(len(p) <= SMALL_MAX for p in pieces)
