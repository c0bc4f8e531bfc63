"""``leveret token create | list | revoke`` and ``leveret workers``: workers of a cluster and their tokens."""

from __future__ import annotations

import time

import click

from .app import _call


@click.group()
def token() -> None:
    """Per-worker tokens: each host's worker joins with a token of its own."""


@token.command()
@click.argument("name")
def create(name: str) -> None:
    """Make a token for the worker on host NAME (shown once; the server keeps its hash only)."""
    from .._wire import api_pb2 as pb

    r = _call("WorkerTokenCreate", pb.WorkerTokenCreateRequest(name=name))
    click.echo(f"token {r.token_id} for {name}:\n{r.token}\n"
               f"on {name}: leveret worker --server URL --token {r.token}")


@token.command("list")
def list_tokens() -> None:
    """Every worker token, and the worker connected with it now."""
    from .._wire import api_pb2 as pb

    tokens = _call("WorkerTokenList", pb.WorkerTokenListRequest()).tokens
    if not tokens:
        click.echo("no worker tokens: `leveret token create NAME` makes one")
    for t in tokens:
        state = "revoked" if t.revoked_at else (f"in use by {t.connected_worker_id}" if t.connected_worker_id else "unused")
        click.echo(f"{t.token_id:<22} {t.name:<20} {time.strftime('%Y-%m-%d %H:%M', time.localtime(t.created_at))}  {state}")


@token.command()
@click.argument("token_id")
def revoke(token_id: str) -> None:
    """Revoke a worker token: its worker is disconnected and its inputs run elsewhere."""
    from .._wire import api_pb2 as pb

    r = _call("WorkerTokenRevoke", pb.WorkerTokenRevokeRequest(token_id=token_id))
    click.echo(f"revoked {token_id}" + (f"; disconnected {r.disconnected_worker_id}" if r.disconnected_worker_id else ""))


@click.command()
def workers() -> None:
    """The workers connected to the server: capacity, what is reserved, when each was last heard from."""
    from .._wire import api_pb2 as pb

    ws = _call("WorkerList", pb.WorkerListRequest()).workers
    if not ws:
        click.echo("no worker is connected: start one with `leveret worker --server URL --token TOKEN`")
    for w in ws:
        i = w.info
        labels = ",".join(f"{k}={v}" for k, v in sorted(i.labels.items()))
        click.echo(f"{w.worker_id:<22} {i.hostname:<16} cpu {w.cpu_reserved:g}/{i.cpu:g}  memory {w.memory_reserved_mb}/"
                   f"{i.memory_mb} MiB  containers {w.containers}/{i.max_containers}  seen {w.last_seen_s:.1f} s ago"
                   f"  {labels}  {w.token_id or '(server token)'}")
