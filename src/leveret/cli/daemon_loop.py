"""The embedded daemon's event loop (see daemon.py): the server, the wait for the worker to
register, the worker's supervision, and the stop."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import time

from .. import config
from .daemon import (PROGRESS_EVERY_S, RESTART_FIRST_S, RESTART_MAX_S, RESTART_RESET_S, WORKER_STOP_S,
                           Starter, describe_exit, port_free, ports_path, write_json)
from .._shared.aio import signalled
from .._shared.backoff import Backoff

log = logging.getLogger("leveret.daemon")

NO_WORKER = ("the embedded daemon's worker is not connected (it is starting, or restarting after it ended),"
             " so inputs wait; `leveret server status` and $LEVERET_HOME/daemon.log say more")


class Daemon:
    def __init__(self, starter: Starter):
        self.s = starter   # the ports, the worker process, daemon.json
        self.notify = starter.notify
        self.server = None

    async def run(self) -> None:
        s = self.s
        got = signalled(signal.SIGTERM, signal.SIGINT)
        supervisor = asyncio.get_running_loop().create_task(self.supervise())
        try:
            await self._start_server(int(s.url.rsplit(":", 1)[1]), s.ports.get("http", 0))
            write_json(ports_path(), {"grpc": self.server.port, "http": int(self.server.http_url.rsplit(":", 1)[1]),
                                      "worker_metrics": s.metrics_port})
            await self._wait_for_worker(got)
            s.info = {"url": self.server.url, "pid": os.getpid(), "started_at": time.time(),
                      "http_url": self.server.http_url}
            s.write_info()
            self.notify.ready()
            log.info("leveret daemon ready at %s (pid %d)", self.server.url, os.getpid())
            await asyncio.wait({got, supervisor}, return_when=asyncio.FIRST_COMPLETED)
            if not got.done():   # it cannot start workers any more: the daemon ends, saying why (main)
                supervisor.result()
            log.info("leveret daemon stopping: received %s", got.result().name)
        finally:
            supervisor.cancel()
            await asyncio.gather(supervisor, return_exceptions=True)
            await self._stop_worker()
            try:
                os.unlink(config.daemon_path())
            except FileNotFoundError:
                pass
            if self.server is not None:
                await self.server.stop()
        log.info("leveret daemon stopped")

    async def _start_server(self, grpc_port: int, http_port: int) -> None:
        self.notify.progress("starting the server")
        from ..server.main import Server

        db = os.path.join(self.s.home, "state.db")
        http_port = http_port if port_free(http_port) else 0
        # web functions' URLs stay the same from one daemon to the next where the port is free
        gateway_port = grpc_port + 2 if grpc_port and port_free(grpc_port + 2) else 0
        try:
            self.server = await Server.start(listen=f"127.0.0.1:{grpc_port}", db=db, token=self.s.token,
                                             http_listen=f"127.0.0.1:{http_port}", progress=self.notify.progress,
                                             gateway_listen=f"127.0.0.1:{gateway_port}")
        except OSError as exc:   # taken since it was found free: any port will do
            log.warning("%s; listening on another port", exc)
            self.server = await Server.start(listen="127.0.0.1:0", db=db, token=self.s.token,
                                             http_listen="127.0.0.1:0", progress=self.notify.progress,
                                             gateway_listen="127.0.0.1:0")
        self.server.dispatcher.no_worker = NO_WORKER
        if self.server.url != self.s.url:   # the worker was told the old URL: the next one is told this one
            self.s.url = self.server.url
            self.s.respawn_now = True
            self.s.worker.terminate()

    async def _wait_for_worker(self, stopping: asyncio.Future) -> None:
        """Until the worker registered, so that the first run does not wait for it; a worker that
        ended first does not hold the server back (the next one registers when it can)."""
        loop = asyncio.get_running_loop()
        said = loop.time()
        while not self.server.dispatcher.workers and not self.s.worker_ended and not stopping.done():
            if loop.time() - said >= PROGRESS_EVERY_S:
                said = loop.time()
                self.notify.progress(f"waiting for the worker (pid {self.s.worker.pid}) to register")
            await asyncio.sleep(0.005)

    async def supervise(self) -> None:
        """Keep a worker running: another whenever it ends, after a back-off."""
        s = self.s
        backoff = Backoff(RESTART_FIRST_S, RESTART_MAX_S, reset_after=RESTART_RESET_S)
        while True:
            returncode = await wait_process(s.worker)
            s.worker_ended += 1
            up = time.monotonic() - s.worker_started
            if s.respawn_now:
                s.respawn_now, delay = False, 0.0
            else:
                delay = backoff.next(up_for=up)
                log.warning("the worker (pid %d) %s after %.1f s; starting another in %g s", s.worker.pid,
                            describe_exit(returncode), up, delay)
            while True:
                await asyncio.sleep(delay)
                try:
                    s.start_worker()
                    break
                except OSError as exc:   # e.g. out of processes: tried again, later
                    delay = backoff.next()
                    log.error("could not start a worker (%s); trying again in %g s", exc, delay)

    async def _stop_worker(self) -> None:
        proc = self.s.worker
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            await asyncio.wait_for(wait_process(proc), WORKER_STOP_S)
        except asyncio.TimeoutError:
            log.warning("the worker (pid %d) did not stop within %g s: killing it", proc.pid, WORKER_STOP_S)
            proc.kill()
            proc.wait()


async def wait_process(proc: subprocess.Popen) -> int:
    """Wait, on the event loop, for a child started with Popen to end; its return code."""
    if proc.poll() is not None:
        return proc.returncode
    fd = os.pidfd_open(proc.pid)   # readable once it has ended
    loop = asyncio.get_running_loop()
    ended = loop.create_future()
    loop.add_reader(fd, lambda: ended.done() or ended.set_result(None))
    try:
        await ended
    finally:
        loop.remove_reader(fd)
        os.close(fd)
    return proc.wait()
