"""A throwaway PostgreSQL server for the tests: initdb in a temporary directory, listening on
127.0.0.1 on a free port, trust authentication, no fsync; one empty database per test.

PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` system user
(which the Debian package creates).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

import psycopg

NOT_FOUND = (
    "PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin or on PATH): "
    "install it (Debian: apt-get install postgresql) to run the PostgreSQL store tests"
)


def find_bin_dir() -> str | None:
    """The directory of initdb and pg_ctl: the newest Debian version, else wherever PATH has them."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


def _version(initdb: str) -> tuple[int, ...]:
    name = initdb.split("/")[-3]
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """``start()``, then ``new_database()`` for each test, ``stop()`` at the end."""

    user = "postgres"   # the database superuser initdb creates

    def __init__(self, bin_dir: str, *, also_listen_on: str = "", trusted_net: str = "", durable: bool = False):
        """``also_listen_on``: another address to listen on (e.g. a test network's), whose clients in
        ``trusted_net`` (CIDR) are let in without a password like loopback's. ``durable``: a commit is
        on disk when it returns, as in production (else, for speed, a crash may lose the latest
        commits: no fsync, no synchronous commit — wrong for a test that crashes it on purpose)."""
        self.bin_dir = bin_dir
        self.durable = durable
        self.also_listen_on = also_listen_on
        self.trusted_net = trusted_net
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix="leveret-pg-")
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self._names = itertools.count()
        self._admin: psycopg.Connection | None = None

    @property
    def data(self) -> str:
        return os.path.join(self.directory, "data")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def start(self) -> "PostgresServer":
        if self._as:
            account = pwd.getpwnam("postgres")
            os.chown(self.directory, account.pw_uid, account.pw_gid)
        self._run("initdb", "-D", self.data, "-U", self.user, "-A", "trust", "-E", "UTF8", "--no-sync")
        if self.trusted_net:
            hba = os.path.join(self.data, "pg_hba.conf")
            with open(hba, "a") as f:
                f.write(f"host all all {self.trusted_net} trust\n")
        self._start_server()
        self._admin = psycopg.connect(self.url(), autocommit=True)
        return self

    def _start_server(self) -> None:
        listen = ",".join(a for a in ("127.0.0.1", self.also_listen_on) if a)
        options = f"-p {self.port} -k {self.directory} -c listen_addresses={listen}"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", self.data, "-l", os.path.join(self.directory, "server.log"),
                  "-o", options, "-w", "-t", "30", "start")

    def new_database(self) -> str:
        """The URL of a new, empty database."""
        name = f"test_{next(self._names)}"
        self._admin.execute(f"CREATE DATABASE {name} TEMPLATE template0")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by ``new_database``, closing what is still connected to it."""
        self._admin.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")

    def restart(self) -> None:
        """Stop it at once, as a crash would (open connections break), and start it again on its port."""
        self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        self._start_server()
        self._admin.close()
        self._admin = psycopg.connect(self.url(), autocommit=True)

    def stop(self) -> None:
        try:
            if self._admin is not None:
                self._admin.close()
            if os.path.exists(os.path.join(self.data, "postmaster.pid")):
                self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        cmd = [*self._as, os.path.join(self.bin_dir, program), *args]
        done = subprocess.run(cmd, cwd=self.directory, capture_output=True, text=True)
        if done.returncode != 0:
            log = os.path.join(self.directory, "server.log")
            tail = open(log).read()[-2000:] if os.path.exists(log) else ""
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()}\n{tail}")


def start_for_tests(**options) -> PostgresServer:
    """A started server (``options`` as PostgresServer takes them); where PostgreSQL is missing,
    skip, or fail where it must be there (CI, or root, for whom scripts/dev installs it)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        from _needs import missing

        missing(NOT_FOUND)
    server = PostgresServer(bin_dir, **options)
    try:
        return server.start()
    except BaseException:
        server.stop()
        raise
