"""watch's events from two listings of a tree (the pure part of _sandbox_fs.watch)."""

from leveret._sandbox_fs import FileWatchEvent, _changes, _listing
from leveret.file_io import FileWatchEventType as T


def listing(*rows):
    return _listing([f"{inode}|{mtime}|{mtime}|{size}|{kind}|{path}" for inode, mtime, size, kind, path in rows])


def test_creates_removes_changes_and_a_rename_as_modify_from_to():
    old = listing((1, "t0", 0, "directory", "/w"), (2, "t0", 1, "regular file", "/w/a"),
                  (3, "t0", 1, "regular file", "/w/b"), (4, "t0", 1, "regular file", "/w/gone"))
    new = listing((1, "t1", 0, "directory", "/w"), (2, "t1", 5, "regular file", "/w/a"),
                  (3, "t0", 1, "regular file", "/w/c"), (5, "t1", 1, "regular file", "/w/new"))
    assert sorted(_changes(old, new, "/w"), key=lambda e: e.paths) == [
        FileWatchEvent(["/w/a"], T.Modify),
        FileWatchEvent(["/w/b", "/w/c"], T.Modify),   # same inode, another name: renamed
        FileWatchEvent(["/w/gone"], T.Remove),
        FileWatchEvent(["/w/new"], T.Create),
    ]   # the watched directory's own change (its entries) is none of them
    assert _changes(new, new, "/w") == []
