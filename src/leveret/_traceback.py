"""One traceback for an exception a function raised remotely, as if it had run here:

    the caller's frames (Leveret's, the standard library's and the CLI's left out)
    ── in its container ──
    the function's frames (Leveret's left out), at the caller's paths of the same files, with
    their source lines
    the exception's type and message, once

``LEVERET_TRACEBACK=full`` shows every frame, Leveret's too, as Python prints them. The container
sends its frames with the exception (container/serialization.exception_payload);
_serialization.exception_from_payload keeps them on the exception (``FRAMES``).
"""

from __future__ import annotations

import linecache
import os
import sys
import sysconfig
import traceback

FRAMES = "__leveret_remote_frames__"   # the attribute the remote frames are kept in
REMOTE_NOTE = "\nRemote traceback:\n"   # the note Python's own printing shows them by
_OWN = os.path.dirname(os.path.abspath(__file__)) + os.sep
_HIDDEN = tuple({_OWN, *(os.path.join(sysconfig.get_paths()[k], "") for k in ("stdlib", "platstdlib"))})
_LIBRARIES = ("click", "rich", "grpc", "_pytest", "pluggy")   # (frames of the tools that called the user's code)


def full() -> bool:
    return os.environ.get("LEVERET_TRACEBACK", "").lower() == "full"


def render(exc: BaseException, *, color: bool = False) -> str:
    """``exc``'s traceback as described above."""
    if full():
        return "".join(traceback.format_exception(exc))
    lines = ["Traceback (most recent call last):\n"]
    for f in traceback.extract_tb(exc.__traceback__):
        if not _hidden(f.filename):
            lines += _frame(f.filename, f.lineno or 0, f.name, f.line or "", color)
    remote = getattr(exc, FRAMES, None)
    if remote:
        lines.append(_style("  ── in its container ──\n", color, dim=True))
        for filename, lineno, name, line in remote:
            local = local_path(filename)
            source = linecache.getline(local, lineno).strip() if local != filename else ""
            if line and source and source != line.strip():   # another file of that name here: not the one that ran
                local, source = filename, ""
            lines += _frame(local, lineno, name, source or line, color)
    notes = getattr(exc, "__notes__", None)
    if notes is not None:   # (shown after its message, the remote traceback's left out: shown above)
        del exc.__notes__
    try:
        head = "".join(traceback.format_exception_only(type(exc), exc)).rstrip("\n")
    finally:
        if notes is not None:
            exc.__notes__ = notes
    lines.append(_style(head, color, bold=True) + "\n")
    lines += [n + "\n" for n in notes or () if not (remote and n.startswith(REMOTE_NOTE))]
    return "".join(lines)


def install_excepthook() -> None:
    """A script's uncaught remote exception (``with app.run(): f.remote()`` in ``python app.py``)
    printed as ``render`` does; others as before. Only over Python's own hook (never another's)."""
    if sys.excepthook is not sys.__excepthook__:
        return
    previous = sys.excepthook

    def hook(kind, exc, tb):
        if getattr(exc, FRAMES, None) and not full():
            sys.stderr.write(render(exc.with_traceback(tb), color=sys.stderr.isatty()))
        else:
            previous(kind, exc, tb)

    sys.excepthook = hook


def local_path(remote: str) -> str:
    """The caller's path of a file a container ran: a function's code is mounted under
    .../mounts/mo-<id>/ at its path relative to where the app's file was found (sys.path, or
    here); ``remote`` itself where no such file is here."""
    marker = f"{os.sep}mounts{os.sep}mo-"
    at = remote.find(marker)
    if at < 0:
        return remote
    relative = remote[at + len(marker):].partition(os.sep)[2]
    for root in (os.getcwd(), *sys.path):
        candidate = os.path.join(root or os.getcwd(), relative)
        if relative and os.path.isfile(candidate):
            return os.path.abspath(candidate)
    return remote


def _hidden(filename: str) -> bool:
    if filename.startswith(_HIDDEN) or filename.startswith("<frozen "):
        return True
    parts = filename.split(os.sep)
    return "site-packages" in parts and any(p in _LIBRARIES for p in parts[parts.index("site-packages") + 1:][:1])


def _frame(filename: str, lineno: int, name: str, line: str, color: bool) -> list[str]:
    out = [f'  File "{_style(filename, color, cyan=True)}", line {lineno}, in {name}\n']
    if line.strip():
        out.append(f"    {line.strip()}\n")
    return out


def _style(text: str, color: bool, *, bold: bool = False, dim: bool = False, cyan: bool = False) -> str:
    if not color:
        return text
    import click

    return click.style(text, bold=bold, dim=dim, fg="cyan" if cyan else None)
