"""Modal's ``modal.file_io``: a sandbox's files (``sandbox.open``'s FileIO, ``watch``'s events)."""

from ._sandbox_fs import FileIO, FileWatchEvent, FileWatchEventType

__all__ = ["FileIO", "FileWatchEvent", "FileWatchEventType"]
