"""``leveret token create | list | revoke`` and ``leveret workers``: the cluster's tokens (users', workers',
proxies') and its workers."""

from __future__ import annotations

import time

import click

from .._shared.aio import run_sync
from ..exception import Error
from .app import JSON_OPTION, _call, show_list


SCOPES = ("admin", "deploy", "run", "read-only")   # server/auth.py says what each may call


@click.group()
def token() -> None:
    """Users' tokens with a scope (admin, deploy, run, read-only), per-worker tokens (each host's
    worker joins with a token of its own) and proxy tokens (for web functions with
    requires_proxy_auth). Revoking one takes effect at once, on open streams too."""


@token.command()
@click.argument("name")
@click.option("--scope", type=click.Choice(SCOPES), default=None,
              help="A user's token instead, for NAME (a person or a CI job): admin (all), deploy (deploy, roll back and"
                   " stop apps, named secrets, deletes), run (run apps, call functions, sandboxes, Dicts, Queues,"
                   " Volumes) or read-only (list, describe, logs, results, the dashboard).")
@click.option("--proxy", is_flag=True, help="A proxy token instead: for requests to web functions with"
                                             " requires_proxy_auth=True (Modal-Key and Modal-Secret headers).")
def create(name: str, scope: str | None, proxy: bool) -> None:
    """Make a token for the worker on host NAME; with --scope, for user NAME; with --proxy, for clients
    of web functions (shown once; the server keeps its hash only)."""
    from .._wire import api_pb2 as pb

    if scope and proxy:
        raise click.UsageError("a proxy token has no scope: give --scope or --proxy")
    r = _call("WorkerTokenCreate", pb.WorkerTokenCreateRequest(name=name, proxy=proxy, scope=scope or ""))
    if scope:
        click.echo(f"{scope} token {r.token_id} for {name}:\n{r.token}\n"
                   f"use it: export LEVERET_TOKEN={r.token} (and LEVERET_SERVER_URL to this server's URL)")
        return
    if proxy:
        click.echo(f"proxy token {name}: send these headers with each request\nModal-Key: {r.token_id}\n"
                   f"Modal-Secret: {r.token}")
        return
    click.echo(f"token {r.token_id} for {name}:\n{r.token}\n"
               f"on {name}: leveret worker --server URL --token {r.token}")


@token.command("set")
@click.option("--server", "server_url", default=None, metavar="URL",
              help="The server, e.g. http://10.0.0.5:7070 (default: the profile's own).")
@click.option("--token", "--token-secret", "token_value", required=True, metavar="TOKEN",
              help="Your token for it (`leveret token create NAME --scope …` printed it; --token-secret as Modal's).")
@click.option("--token-id", default="", metavar="ID", help="Its id (ut-…), kept beside it to tell tokens apart.")
@click.option("--profile", "profile_name", default="default", show_default=True, help="The profile to keep it in.")
@click.option("--activate/--no-activate", default=True, show_default=True, help="Use this profile from now on.")
def set_token(server_url: str | None, token_value: str, token_id: str, profile_name: str, activate: bool) -> None:
    """Keep a server and your token for it in ~/.leveret.toml, as a profile the CLI and SDK use."""
    from .. import config
    from ..exception import InvalidError

    try:
        config.check_token(token_value.strip(), "--token")
        server_url = server_url or config.read_profiles().get(profile_name, {}).get("server_url")
    except InvalidError as exc:
        raise click.ClickException(str(exc)) from None
    if not server_url:
        raise click.UsageError(f"profile {profile_name} has no server yet: give --server URL")
    _keep(profile_name, server_url, token_value.strip(), token_id, activate)


def _keep(profile_name: str, server_url: str, token_value: str, token_id: str, activate: bool) -> None:
    from .. import config
    from ..exception import InvalidError

    try:
        profiles = config.read_profiles()
    except InvalidError as exc:
        raise click.ClickException(str(exc)) from None
    entry = profiles.setdefault(profile_name, {})
    entry.update(server_url=server_url, token=token_value)
    if token_id:
        entry["token_id"] = token_id
    else:
        entry.pop("token_id", None)
    if activate:
        for p in profiles.values():
            p.pop("active", None)
        entry["active"] = True
    config.write_profiles(profiles)
    click.echo(f"token for {server_url} kept in profile {profile_name} of {config.config_path()}"
               + (" (active)" if activate else f": `leveret profile activate {profile_name}` uses it"))


@token.command("new")
@click.option("--server", "server_url", default=None, metavar="URL",
              help="The server (default: the active profile's, else LEVERET_SERVER_URL).")
@click.option("--name", default=None, help="Who or what the token is for (default: USER@HOST).")
@click.option("--profile", "profile_name", default="default", show_default=True, help="The profile to keep it in.")
@click.option("--activate/--no-activate", default=True, show_default=True, help="Use this profile from now on.")
@click.option("--no-browser", is_flag=True, help="Print the link only; do not open a browser.")
@click.option("--timeout", default=600, show_default=True, metavar="SECONDS", help="How long to wait for the approval.")
def new(server_url: str | None, name: str | None, profile_name: str, activate: bool, no_browser: bool,
        timeout: int) -> None:
    """Log in: ask the server for a token of your own, approved by you in its dashboard (where you are
    logged in), and keep it in ~/.leveret.toml as a profile."""
    import getpass
    import os
    import socket

    from .. import config

    server_url = server_url or config.active_profile()[1].get("server_url") or os.environ.get("LEVERET_SERVER_URL")
    if not server_url:
        raise click.UsageError("which server? give --server URL (the embedded one needs no token: `leveret run` uses it)")
    name = name or f"{getpass.getuser()}@{socket.gethostname()}"
    try:
        token_id, token_value, scope = run_sync(_login(server_url, name, no_browser, float(timeout)))
    except Error as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"approved: a {scope} token {token_id} for {name}")
    _keep(profile_name, server_url, token_value, token_id, activate)


async def _login(server_url: str, name: str, no_browser: bool, timeout: float) -> tuple[str, str, str]:
    import time
    import webbrowser

    import grpc

    from .._wire import api_pb2 as pb
    from .._wire.channel import open_channel, translate
    from ..exception import TimeoutError as LeveretTimeout

    channel, stub = open_channel(server_url, "")
    try:
        try:
            flow = await stub.TokenFlowCreate(pb.TokenFlowCreateRequest(name=name))
            click.echo(f"approve the token for {name} in the dashboard (it shows the code {flow.code}):\n"
                       f"  {flow.web_url}\nwaiting…")
            if not no_browser:
                webbrowser.open(flow.web_url)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                got = await stub.TokenFlowWait(pb.TokenFlowWaitRequest(
                    flow_id=flow.flow_id, wait_secret=flow.wait_secret,
                    timeout_s=min(30.0, max(0.1, deadline - time.monotonic()))))
                if not got.timed_out:
                    return got.token_id, got.token, got.scope
        except grpc.aio.AioRpcError as err:
            raise translate(err, server_url) from None
        raise LeveretTimeout(f"nobody approved the token within {timeout:.0f} s: run `leveret token new` again")
    finally:
        await channel.close()


@token.command("list")
@JSON_OPTION
def list_tokens(as_json: bool) -> None:
    """Every user's, worker's and proxy token, and the worker connected with each worker token now."""
    from .._wire import api_pb2 as pb

    def row(t) -> str:
        state = "revoked" if t.revoked_at else (f"in use by {t.connected_worker_id}" if t.connected_worker_id else
                                                "" if t.scope else "unused")
        kind = t.scope or ("proxy" if t.token_id.startswith("pk-") else "worker")
        return (f"{t.token_id:<22} {t.name:<20} {kind:<10} {time.strftime('%Y-%m-%d %H:%M', time.localtime(t.created_at))}"
                f"  {state}").rstrip()

    show_list(_call("WorkerTokenList", pb.WorkerTokenListRequest()).tokens, as_json,
              empty="no tokens: `leveret token create NAME [--scope SCOPE]` makes one", header=None, row=row)


@token.command()
@click.argument("token_id")
def revoke(token_id: str) -> None:
    """Revoke a token: a user's is refused from now on and the calls and streams open with it end; a
    worker token's worker is disconnected and its inputs run elsewhere; a proxy token is refused from
    the next request on."""
    from .._wire import api_pb2 as pb

    r = _call("WorkerTokenRevoke", pb.WorkerTokenRevokeRequest(token_id=token_id))
    click.echo(f"revoked {token_id}" + (f"; disconnected {r.disconnected_worker_id}" if r.disconnected_worker_id else ""))


@click.command()
@JSON_OPTION
def workers(as_json: bool) -> None:
    """The workers connected to the server: capacity, what is reserved, when each was last heard from."""
    from .._wire import api_pb2 as pb

    def row(w) -> str:
        i = w.info
        labels = ",".join(f"{k}={v}" for k, v in sorted(i.labels.items()))
        return (f"{w.worker_id:<22} {i.hostname:<16} cpu {w.cpu_reserved:g}/{i.cpu:g}  memory {w.memory_reserved_mb}/"
                f"{i.memory_mb} MiB{_gpus(w)}  containers {w.containers}/{i.max_containers}  seen {w.last_seen_s:.1f} s"
                f" ago  {labels}  {w.token_id or '(server token)'}")

    show_list(_call("WorkerList", pb.WorkerListRequest()).workers, as_json,
              empty="no worker is connected: start one with `leveret worker --server URL --token TOKEN`",
              header=None, row=row)


def _gpus(w) -> str:
    """"  gpus 1/2 H100 80 GiB (driver 550.54.15, CUDA 12.4, 1 in MIG mode)", or "" without GPUs."""
    i = w.info
    if not i.gpus and not i.gpu_devices:
        return ""
    memory = {g.memory_mb for g in i.gpu_devices}
    notes = [f"driver {i.gpu_driver}, CUDA {i.cuda_version}"] if i.gpu_driver else []
    mig = sum(g.mig for g in i.gpu_devices)
    notes += [f"{mig} in MIG mode"] if mig else []
    return (f"  gpus {w.gpus_reserved}/{i.gpus} {i.gpu_type or 'GPU'}"
            + (f" {memory.pop() // 1024} GiB" if len(memory) == 1 and 0 not in memory else "")
            + (f" ({', '.join(notes)})" if notes else ""))

