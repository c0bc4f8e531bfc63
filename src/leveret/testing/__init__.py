"""Test helpers: an in-process cluster (real server and worker on the background loop)."""

from .cluster import Cluster

__all__ = ["Cluster"]
