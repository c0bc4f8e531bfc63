"""Sandbox* and Process*: the wire side of sandboxes (sandboxes.py has what they do)."""

from __future__ import annotations

import asyncio

import grpc

from ..._shared.egress import Route, check_cidrs, check_domains, check_routes, expand, template_keys
from ..._wire import api_pb2 as pb
from ..errors import AlreadyExists, Invalid, NotFound
from ..model import SandboxStart
from ..objects.kinds import unqualified
from ..sandboxes import WINDOW
from .convert import function_spec

_CODES = {NotFound: grpc.StatusCode.NOT_FOUND, AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
          Invalid: grpc.StatusCode.INVALID_ARGUMENT}


def sandbox_info(rec) -> pb.SandboxInfo:
    proc = rec.process
    reason = proc.reason if rec.state == "done" else (rec.stopping_reason or rec.fn.pending)
    return pb.SandboxInfo(sandbox_id=rec.sandbox_id, app_id=rec.app_id, name=rec.name, tags=rec.tags, state=rec.state,
                          created_at=rec.created_at, container_id=rec.container_id,
                          worker_id=rec.worker_id, done=proc.done, exit_code=proc.exit_code, reason=reason,
                          detached=rec.detached, ended_by=proc.ended_by,
                          ready=rec.state == "running" and rec.ready.is_set())


class SandboxesApi:
    """Mixed into the servicer: needs ``self.d`` (the Dispatcher)."""

    async def _refused(self, context, exc) -> None:
        await context.abort(_CODES[type(exc)], exc.message)

    async def SandboxCreate(self, request, context):
        d = request.definition
        if d.secret_env or any(b.secret_env for b in d.bucket_mounts):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "a definition names its secrets (secret_ids), never"
                                " their values: upgrade leveret where this client runs")
        if not request.sandbox_id.startswith("sb-"):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "sandbox_id: a new id with the sb- prefix")
        ports = tuple((p, False) for p in request.encrypted_ports if p not in request.unencrypted_ports) + \
            tuple((p, True) for p in request.unencrypted_ports)
        if ports and d.block_network:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "block_network=True and ports do not go together:"
                                " a sandbox without a network has nothing to expose")
        if any(not 0 < p < 65536 for p, _ in ports):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "ports are 1 to 65535")
        d.name = f"sandbox {request.name or request.sandbox_id}"   # what its container and log lines show
        try:
            self._in_environment(request.app_id, request.environment)
            spec = function_spec(d)
            await self.d.reads.run(self.d.secrets.load, spec.all_secret_ids)
            egress = domains = inbound = outbound = None
            if (request.egress_limited or request.domains_limited) and d.block_network:
                raise Invalid("block_network=True and an egress allowlist do not go together: drop one of them")
            if request.outbound_routes:
                if d.block_network or request.egress_limited or request.domains_limited:
                    raise Invalid("an outbound policy takes the place of block_network= and the outbound allowlists:"
                                  " give it routes for what they said (OutboundRoute.ip, OutboundRoute.tls,"
                                  " OutboundRoute.any().block())")
                outbound = await self._outbound(request)
            try:
                if request.egress_limited:
                    egress = check_cidrs(request.outbound_cidr_allowlist)
                if request.domains_limited:
                    domains = check_domains(request.outbound_domain_allowlist)
                if request.inbound_limited:
                    inbound = check_cidrs(request.inbound_cidr_allowlist)
            except ValueError as exc:
                raise Invalid(str(exc)) from None
            start = SandboxStart(request.sandbox_id, list(request.argv), request.workdir, dict(request.env), WINDOW,
                                 egress, tuple(p for p, _ in ports), domains, request.pty and bool(request.argv),
                                 outbound)
            p = request.readiness_probe
            probe = (p.tcp_port, tuple(p.argv), p.interval_ms or 100) if request.HasField("readiness_probe") else None
            if probe is not None and not (p.tcp_port or p.argv):
                raise Invalid("a readiness probe needs a port (Probe.with_tcp) or a command (Probe.with_exec)")
            rec = self.d.sandboxes.create(request.app_id, request.sandbox_id, spec, start, name=request.name,
                                          tags=dict(request.tags), timeout_s=request.timeout_s,
                                          idle_timeout_s=request.idle_timeout_s, probe=probe, ports=ports,
                                          inbound=inbound)
        except (NotFound, AlreadyExists, Invalid) as exc:
            await self._refused(context, exc)
        except ValueError as exc:   # a secret that is gone
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
        return pb.SandboxCreateResponse(sandbox_id=rec.sandbox_id)

    async def _outbound(self, request) -> tuple[Route, ...]:
        """The request's outbound policy, checked, each https route's headers with its secrets' values."""
        secret_ids = [h.secret_id for r in request.outbound_routes for h in r.header_replacements if h.secret_id]
        await self.d.reads.run(self.d.secrets.load, secret_ids)
        routes = []
        for r in request.outbound_routes:
            headers: dict[str, str] = {}
            for h in r.header_replacements:
                values = self.d.secrets.env_of((h.secret_id,)) if h.secret_id else {}
                for name, template in h.headers.items():
                    missing = [k for k in template_keys(template) if k not in values]
                    if missing:
                        raise Invalid(f"header {name!r} of the route to {', '.join(r.domains)} names ${missing[0]},"
                                      f" which {'its secret' if h.secret_id else 'a replacement without a secret'}"
                                      f" does not have: add the key to the secret, or write a literal $ as $$")
                    headers[name.lower()] = expand(template, values)
            routes.append(Route(r.kind, tuple(r.domains), tuple(r.cidrs), r.block, tuple(sorted(headers.items()))))
        try:
            return check_routes(routes, request.allow_tls_decryption)
        except ValueError as exc:
            raise Invalid(str(exc)) from None

    async def SandboxGet(self, request, context):
        try:
            if request.sandbox_id:
                rec = self.d.sandboxes.get(request.sandbox_id)
            else:
                app = self.d.find_live_app(request.app_name)
                rec = self.d.sandboxes.find_name(app.app_id, request.name) if app is not None else None
                if rec is None:
                    raise NotFound(f"no running sandbox named {request.name!r} in app {request.app_name!r}:"
                                   " Sandbox.list() shows the running ones")
        except NotFound as exc:
            await self._refused(context, exc)
        return sandbox_info(rec)

    def _in_environment(self, app_id: str, environment: str) -> None:
        app = self.d.apps.get(app_id)
        if environment and app is not None and unqualified(app.name)[1] != environment:
            name, in_env = unqualified(app.name)
            raise Invalid(f"app {name!r} is in environment {in_env!r}, not {environment!r}: look it up with"
                          f" App.lookup({name!r}, environment_name={environment!r}), or drop environment_name=")

    async def SandboxList(self, request, context):
        found = self.d.sandboxes.list(request.app_id, dict(request.tags), request.include_done)
        if request.environment:
            found = [r for r in found if (app := self.d.apps.get(r.app_id)) is not None
                     and unqualified(app.name)[1] == request.environment]
        return pb.SandboxListResponse(sandboxes=[sandbox_info(r) for r in found])

    async def _sandbox(self, context, sandbox_id: str):
        try:
            return self.d.sandboxes.get(sandbox_id)
        except NotFound as exc:
            await self._refused(context, exc)

    async def SandboxTerminate(self, request, context):
        rec = await self._sandbox(context, request.sandbox_id)
        self.d.sandboxes.terminate(rec, "terminated (Sandbox.terminate)")
        return pb.SandboxTerminateResponse()

    async def SandboxTagsSet(self, request, context):
        rec = await self._sandbox(context, request.sandbox_id)
        rec.tags = dict(request.tags)
        return pb.SandboxTagsSetResponse()

    async def SandboxDetach(self, request, context):
        rec = await self._sandbox(context, request.sandbox_id)
        rec.detached = True
        return pb.SandboxDetachResponse()

    async def SandboxExec(self, request, context):
        rec = await self._sandbox(context, request.sandbox_id)
        if not request.exec_id.startswith("ex-"):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "exec_id: a new id with the ex- prefix")
        try:
            env = dict(request.env)
            if request.secret_ids:
                await self.d.reads.run(self.d.secrets.load, tuple(request.secret_ids))
                env = {**self.d.secrets.env_of(tuple(request.secret_ids)), **env}
            self.d.sandboxes.exec(rec, request.exec_id, list(request.argv), workdir=request.workdir, env=env,
                                  timeout_s=request.timeout_s, pty=request.pty, tool=request.tool,
                                  size=(request.rows or 24, request.cols or 80) if request.pty else (0, 0))
        except (NotFound, Invalid) as exc:
            await self._refused(context, exc)
        except ValueError as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
        return pb.SandboxExecResponse(exec_id=request.exec_id)

    async def _process(self, context, process_id: str):
        try:
            return self.d.sandboxes.process(process_id)
        except NotFound as exc:
            await self._refused(context, exc)

    async def ProcessRead(self, request, context):
        """A stream's bytes from ``offset`` on, as they come, until its end."""
        proc = await self._process(context, request.process_id)
        if request.stream not in (1, 2):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "stream: 1 (stdout) or 2 (stderr)")
        stream, offset = proc.streams[request.stream], request.offset
        while True:
            data, at, eof = await stream.read(offset)
            yield pb.ProcessReadResponse(data=data, offset=at, eof=eof)
            if eof:
                return
            offset = at + len(data)
            self.d.sandboxes.taken(proc, request.stream, offset)

    async def ProcessWrite(self, request, context):
        proc = await self._process(context, request.process_id)
        try:
            await self.d.sandboxes.write(proc, request.data, request.offset, request.eof)
        except Invalid as exc:
            await self._refused(context, exc)
        return pb.ProcessWriteResponse()

    async def ProcessWait(self, request, context):
        proc = await self._process(context, request.process_id)
        done = await self.d.sandboxes.wait(proc, request.timeout_s)
        return pb.ProcessWaitResponse(done=done, exit_code=proc.exit_code, reason=proc.reason, ended_by=proc.ended_by)

    async def SandboxWaitReady(self, request, context):
        rec = await self._sandbox(context, request.sandbox_id)
        await self.d.sandboxes.wait_ready(rec, request.timeout_s)
        return sandbox_info(rec)

    async def SandboxTunnels(self, request, context):
        rec = await self._sandbox(context, request.sandbox_id)
        if not rec.ports:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"sandbox {rec.sandbox_id} exposes no ports:"
                                " create it with encrypted_ports=[PORT] (or unencrypted_ports=)")
        if not self.routes.url:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the server's gateway is not listening: its tunnels have"
                                " nowhere to be (leveret server --gateway HOST:PORT)")
        try:
            await asyncio.wait_for(rec.tunneled.wait(), request.timeout_s if request.timeout_s > 0 else None)
        except asyncio.TimeoutError:
            await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, f"sandbox {rec.sandbox_id} did not start within"
                                f" {request.timeout_s:g} s ({rec.fn.pending or 'it is starting'})")
        if rec.state == "done":
            await context.abort(grpc.StatusCode.NOT_FOUND, f"sandbox {rec.sandbox_id} has ended: {rec.process.reason}")
        return pb.SandboxTunnelsResponse(tunnels=[
            pb.SandboxTunnel(port=port, tunnel_id=t[0], url=t[1], tcp_host=t[2], tcp_port=t[3])
            for port, t in sorted(rec.tunnels.items())])

    async def SandboxSnapshot(self, request, context):
        rec = await self._sandbox(context, request.sandbox_id)
        try:
            path = _directory(request.path, "snapshot_directory") if request.path else ""
            image = await self.d.sandboxes.snapshot(rec, request.timeout_s, path)
        except (NotFound, Invalid) as exc:
            await self._refused(context, exc)
        return pb.SandboxSnapshotResponse(image=image)

    async def SandboxMount(self, request, context):
        rec = await self._sandbox(context, request.sandbox_id)
        try:
            path = _directory(request.path, "unmount_image" if request.unmount else "mount_image")
            if path == "/":
                raise Invalid("an image is mounted at a directory of the sandbox, not over its root")
            if not request.unmount and not request.image:
                raise Invalid("mount_image needs an image: a directory snapshot (sb.snapshot_directory(path))")
            await self.d.sandboxes.mount(rec, path, request.image, request.unmount)
        except (NotFound, Invalid) as exc:
            await self._refused(context, exc)
        return pb.SandboxMountResponse()

    async def ProcessKill(self, request, context):
        proc = await self._process(context, request.process_id)
        self.d.sandboxes.kill(proc, request.signal or 9)
        return pb.ProcessKillResponse()


def _directory(path: str, what: str) -> str:
    """An absolute path in a sandbox, normalised ("/srv/./w/" -> "/srv/w"); Invalid for another."""
    import posixpath

    if not path.startswith("/") or "\0" in path:
        raise Invalid(f"{what} takes an absolute path in the sandbox, e.g. \"/srv/work\", not {path!r}")
    return posixpath.normpath(path) if path != "/" else "/"
