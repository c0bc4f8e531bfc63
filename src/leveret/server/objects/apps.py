"""Deployed apps as named objects: a deployed app's name is one (kind "app", ids ``dp-``), made by
its first ``leveret deploy`` and the same for every version after; the versions, and which is
live, are deploy.py's. Function lookups by name (FunctionLookup) find the name here first."""

from __future__ import annotations

from .kinds import Kind, register

APP = register(Kind(
    name="app", prefix="dp", label="deployed app",
    missing="no deployed app named {name!r}{where}: deploy it with `leveret deploy FILE`",
    managed_by="deployed apps are named by `leveret deploy FILE` (App('name') or --name NAME) and stopped with"
               " `leveret app stop NAME`; their versions are kept for `leveret app rollback`",
))
