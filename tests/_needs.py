"""A tool a test needs is missing: on a developer's machine the test is skipped, saying so; in CI or
as root (for whom `scripts/dev` installs it) that is a failure, so a missing install step shows."""

import os

import pytest


def missing(why: str) -> None:
    if os.environ.get("CI") or os.geteuid() == 0:
        pytest.fail(f"{why} (in CI or as root this fails rather than skips)")
    pytest.skip(why)
