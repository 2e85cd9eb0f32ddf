"""A real PostgreSQL server for the tests: Debian's ``postgresql`` package (which `make
test` installs), never a mock.

``PostgresServer.start()`` runs ``initdb`` into a fresh directory under /tmp and starts
the server with ``pg_ctl`` on a unix socket in that directory (no TCP port: nothing to
collide with between pytest-xdist workers, nothing on the network). PostgreSQL refuses
to run as root, so as root the server runs as the ``postgres`` user the Debian package
creates (``runuser``), in a directory it owns. Missing binaries fail the test that asked
for the server, loudly, never skip it.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

__all__ = ["PostgresServer", "server_binaries"]

_MISSING = (
    "PostgreSQL's server binaries (initdb, pg_ctl) were not found: `make test` installs "
    "Debian's postgresql package (as root: apt-get install postgresql)"
)


def server_binaries() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``: on the PATH, else Debian's
    newest ``/usr/lib/postgresql/<version>/bin`` (the package puts them off the PATH)."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    versions = [
        p.parent
        for p in Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")
        if re.fullmatch(r"\d+", p.parts[-3]) and (p.parent / "initdb").exists()
    ]
    if not versions:
        pytest.fail(_MISSING)
    return max(versions, key=lambda p: int(p.parts[-2]))


class PostgresServer:
    """A PostgreSQL server in a temporary directory, listening on a unix socket there.

    Use :meth:`start` and :meth:`stop` (or ``with``); :meth:`database` creates an
    empty database and gives its SQLAlchemy URL (``postgresql+psycopg``).
    """

    def __init__(self) -> None:
        self.bin = server_binaries()
        # Under /tmp, whatever TMPDIR says: the postgres user must reach the directory,
        # and the socket's path must stay under the 107 bytes a unix socket allows.
        tmp = "/tmp" if Path("/tmp").is_dir() else None
        self.directory = Path(tempfile.mkdtemp(prefix="detainer-cost-pg-", dir=tmp))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self._as: list[str] = []
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                pytest.fail(
                    "running as root, the tests run PostgreSQL as the user 'postgres' "
                    "(Debian's postgresql package creates it), which is missing"
                )
            os.chown(self.directory, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self.directory.chmod(0o700)

    def _run(self, *command: str) -> None:
        done = subprocess.run(
            [*self._as, *command], capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            pytest.fail(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}{log}"[-4000:])

    def start(self) -> PostgresServer:
        """``initdb`` (trust authentication: only this user can reach the socket's
        directory) and ``pg_ctl start``, waiting until the server accepts connections."""
        self._run(
            str(self.bin / "initdb"),
            "--pgdata", str(self.data), "--username", "postgres", "--auth", "trust",
            "--encoding", "UTF8", "--no-sync", "--no-instructions",
        )  # fmt: skip
        options = f"-k {self.directory} -c listen_addresses='' -c fsync=off -c max_connections=200"
        self._run(
            str(self.bin / "pg_ctl"), "start", "--pgdata", str(self.data), "--log", str(self.log),
            "--wait", "--timeout", "60", "--options", options,
        )  # fmt: skip
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its directory."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(self.bin / "pg_ctl"), "stop", "--pgdata", str(self.data),
                          "--wait", "--mode", "fast")  # fmt: skip
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of ``database`` on this server."""
        return f"postgresql+psycopg://postgres@/{database}?host={self.directory}"

    def database(self) -> str:
        """A new, empty database; its URL."""
        name = f"jobs_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(host=str(self.directory), user="postgres", dbname="postgres",
                             autocommit=True) as db:  # fmt: skip
            db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)
