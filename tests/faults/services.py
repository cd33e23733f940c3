"""The processes a fault experiment starts and breaks: gunicorn serving the app, its own
PostgreSQL cluster (Debian's pg_createcluster, on a free port), its own redis-server,
and a process holding the SQLite write lock.

Everything is named with ``MARKER`` and the pytest process's id, so a later run can
recognise and remove what a crashed run left behind (``reap_leftovers``): only clusters
and processes whose owning pytest process is gone, never the shared services (the
cluster ``main`` on 5432, the shared Redis) nor another xdist worker's.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
MARKER = "hkfault"
OWNER = f"{MARKER}_{os.getpid()}"
PG_VERSION = "15"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_is_gone(name: str) -> bool:
    match = re.search(rf"{MARKER}_(\d+)", name)
    return bool(match) and not _alive(int(match.group(1)))


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (gunicorn's workers under its master)."""
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found.extend(int(child) for child in text)
    except (FileNotFoundError, ProcessLookupError):
        pass
    return sorted(set(found))


# Leftovers of crashed runs ------------------------------------------------------------------------
def reap_leftovers() -> list[str]:
    """Remove the clusters and stop the processes of earlier runs whose pytest process
    died (each carries ``hkfault_<pid>``): what was removed, for the log."""
    removed = []
    if shutil.which("pg_lsclusters"):
        listing = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True).stdout
        for line in listing.splitlines():
            fields = line.split()
            if len(fields) >= 2 and fields[1].startswith(MARKER + "_") and _owner_is_gone(fields[1]):
                subprocess.run(["pg_dropcluster", "--stop", fields[0], fields[1]], capture_output=True)
                removed.append(f"cluster {fields[0]}/{fields[1]}")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            # redis-server rewrites its title, but runs in its --dir (which carries the marker)
            cmdline += " " + os.readlink(proc / "cwd")
        except OSError:
            continue
        if f"{MARKER}_" in cmdline and _owner_is_gone(cmdline) and int(proc.name) != os.getpid():
            try:
                os.kill(int(proc.name), signal.SIGKILL)
                removed.append(f"process {proc.name}: {cmdline[:80]}")
            except ProcessLookupError:
                pass
    return removed


# gunicorn -------------------------------------------------------------------------------------------
class Gunicorn:
    """``gunicorn --workers 2 --worker-class sync wsgi:app`` from the repository root (it
    reads ./gunicorn.conf.py there), its stdout and stderr appended to one log file."""

    def __init__(self, env: dict[str, str], port: int, log_path: Path):
        self.env, self.port, self.log_path = env, port, log_path
        self.process: subprocess.Popen | None = None
        self.tag = f"{OWNER}_{port}"

    def start(self) -> None:
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "--workers", "2", "--worker-class", "sync",
             "--bind", f"{HOST}:{self.port}", "--name", self.tag,
             "--no-control-socket",  # one per instance: the default path is shared by every gunicorn
             "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def workers(self) -> list[int]:
        return children(self.pid) if self.running() else []

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_listening(self, timeout: float = 30.0) -> None:
        """Until the port accepts connections and both workers are up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                raise RuntimeError(f"gunicorn exited; its log:\n{self.log_text()[-3000:]}")
            if len(self.workers()) >= 2:
                try:
                    with socket.create_connection((HOST, self.port), timeout=1):
                        return
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn did not start in {timeout} s; its log:\n{self.log_text()[-3000:]}")

    def kill_all(self) -> None:
        """kill -9 the master and every worker (its whole process group)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()

    def stop(self) -> None:
        if not self.running():
            self.kill_all()
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        self.kill_all()  # workers that outlived their master, too

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


# PostgreSQL ----------------------------------------------------------------------------------------
class PostgresCluster:
    """A throwaway cluster of Debian's postgresql-common, trust auth on 127.0.0.1."""

    def __init__(self, port: int):
        self.port = port
        self.name = f"{OWNER}_{port}"

    @staticmethod
    def missing() -> str | None:
        """Why no cluster can be made here (None: it can)."""
        tools = ("pg_createcluster", "pg_ctlcluster", "pg_dropcluster")
        if not all(shutil.which(tool) for tool in tools) or \
                not Path(f"/usr/lib/postgresql/{PG_VERSION}/bin/postgres").exists():
            return (f"the fault suite needs Debian's postgresql-common and PostgreSQL {PG_VERSION} "
                    f"({', '.join(tools)})")
        if os.geteuid() != 0:
            return "pg_createcluster needs root (it writes /etc/postgresql and /var/lib/postgresql)"
        return None

    def create(self) -> None:
        self._run("pg_createcluster", PG_VERSION, self.name, "-p", str(self.port),
                  "-o", "fsync=off", "-o", "max_connections=60",
                  "--", "--auth=trust", "--no-sync")
        self.start()
        self._psql("CREATE DATABASE hienke")

    def start(self) -> None:
        self._run("pg_ctlcluster", PG_VERSION, self.name, "start")

    def stop(self) -> None:
        self._run("pg_ctlcluster", "--mode", "fast", PG_VERSION, self.name, "stop")

    def drop(self) -> None:
        subprocess.run(["pg_dropcluster", "--stop", PG_VERSION, self.name], capture_output=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@{HOST}:{self.port}/hienke"

    def _psql(self, sql: str) -> None:
        self._run("psql", "-h", HOST, "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                  "-v", "ON_ERROR_STOP=1", "-c", sql)

    @staticmethod
    def _run(*command: str) -> None:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


# Redis ----------------------------------------------------------------------------------------------
class RedisServer:
    """Its own redis-server on a free port: no persistence, stopped and started at will."""

    def __init__(self, port: int, workdir: Path):
        self.port = port
        self.workdir = workdir / f"{OWNER}_redis_{port}"  # in the command line: reap_leftovers finds it
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> None:
        log = (self.workdir / "redis.log").open("a")
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def keys(self) -> int:
        """DBSIZE: how many keys the app stored (its rate-limit counters)."""
        with socket.create_connection((HOST, self.port), timeout=2) as sock:
            sock.sendall(b"DBSIZE\r\n")
            answer = sock.recv(64).decode()
        return int(answer.strip().lstrip(":"))


# The SQLite write lock ---------------------------------------------------------------------------------
LOCK_SCRIPT = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
print("releasing", flush=True)
connection.execute("ROLLBACK")
connection.close()
print("released", flush=True)
"""


class SqliteLockHolder:
    """Another process (a backup, a long CLI command) holding the write lock of the file:
    ``BEGIN IMMEDIATE``, sleep, roll back."""

    def __init__(self, path: Path, seconds: float):
        self.path, self.seconds = path, seconds
        self.process: subprocess.Popen | None = None

    def acquire(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", LOCK_SCRIPT, str(self.path), str(self.seconds), OWNER],
            stdout=subprocess.PIPE, text=True,
        )
        line = self.process.stdout.readline().strip()
        if line != "locked":
            raise RuntimeError(f"the lock holder did not take the lock: {line!r}")

    def wait_releasing(self) -> None:
        """Returns when the holder is about to roll back: until then the lock was held for
        sure (a mark taken after the rollback would count writes made after it as made
        under the lock)."""
        line = self.process.stdout.readline().strip()
        if line != "releasing":
            raise RuntimeError(f"the lock holder ended without releasing cleanly: {line!r}")

    def wait_released(self) -> None:
        line = self.process.stdout.readline().strip()
        self.process.wait(timeout=30)
        self.process.stdout.close()
        if line != "released":
            raise RuntimeError(f"the lock holder ended without releasing cleanly: {line!r}")

    def kill(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
