"""The run views: plain lines off a terminal, rich's tree and bars on one."""

import io

from rich.console import Console

from leveret import _progress


def run_a_map(view, n: int) -> None:
    bar = view.map_started("square")
    bar.set_total(n)
    for _ in range(n):
        bar.advance()
    bar.finish()


def test_plain_view_writes_greppable_lines():
    out = io.StringIO()
    view = _progress.View(out)
    view.created("hello", "ap-1", [("square", "fu-1"), ("cube", "fu-2")])
    run_a_map(view, 3)
    view.finished("completed", "app hello (ap-1) completed in 0.10 s")
    lines = out.getvalue().splitlines()
    assert lines[:3] == ["leveret: created app hello (ap-1)", "leveret: ├── function square (fu-1)",
                         "leveret: └── function cube (fu-2)"]
    assert lines[3].startswith("leveret: square.map: 3 result(s) in ")
    assert lines[4] == "leveret: ✓ app hello (ap-1) completed in 0.10 s"


def test_rich_view_draws_a_tree_a_bar_and_the_final_line_on_a_terminal():
    out = io.StringIO()
    view = _progress.RichView(Console(file=out, force_terminal=True, width=100, color_system=None))
    view.created("hello", "ap-1", [("square", "fu-1")])
    run_a_map(view, 20)
    view.finished("failed", "app hello (ap-1) failed after 1.00 s: ValueError: boom")
    view.close()
    text = out.getvalue()
    assert "created app hello" in text and "└── function square" in text
    assert "20/20" in text                                   # the bar's done / total
    assert "square.map: 20 result(s)" in text
    assert "✗ app hello (ap-1) failed after 1.00 s: ValueError: boom" in text


def test_for_stream_picks_plain_lines_off_a_terminal():
    assert type(_progress.for_stream(io.StringIO())) is _progress.View


def test_rich_view_spins_while_a_remote_call_waits():
    out = io.StringIO()
    view = _progress.RichView(Console(file=out, force_terminal=True, width=100, color_system=None))
    with view.waiting("square"):
        assert view._progress is not None and len(view._progress.tasks) == 1
    assert view._progress is None   # gone with the wait
    with _progress.View(io.StringIO()).waiting("square"):
        pass                          # plain output: nothing to show


def test_rich_view_turns_image_build_steps_into_a_bar():
    from leveret._wire import api_pb2 as pb

    out = io.StringIO()
    view = _progress.RichView(Console(file=out, force_terminal=True, width=120, color_system=None))
    step = lambda n: pb.LogLine(source=3, function_name="square", text=f"step {n}/3 pip_install: numpy")  # noqa: E731
    view.lines([step(1)])
    (task,) = view._progress.tasks
    assert task.completed == 1 and task.total == 3 and "square: building its image, step 1/3" in task.description
    view.lines([pb.LogLine(source=1, text="step 9/9 not a build line: stdout")])
    assert view._progress.tasks[0].completed == 1
    view.lines([step(3)])
    assert view._progress is None   # the last step ends the bar
