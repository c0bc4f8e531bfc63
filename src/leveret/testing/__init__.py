"""Test helpers: an in-process cluster (real server and worker on the background loop), and a fake
clock for the server's time."""

from .clock import FakeClock
from .cluster import Cluster

__all__ = ["Cluster", "FakeClock"]
