from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg  # type: ignore[import-untyped, unused-ignore]
import psutil  # type: ignore[import-untyped, unused-ignore]
import pytest

from gateway.embedded import EmbeddedPostgres, default_data_dir, embedded_server, start_embedded

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="embedded server is POSIX-only")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "pgdata"
    yield path
    EmbeddedPostgres(data_dir=path.resolve(), dsn="").stop()  # never leak a server


def fetch(dsn: str, sql: str) -> object:
    async def run() -> object:
        conn = await asyncpg.connect(dsn, timeout=10)
        try:
            return await conn.fetchval(sql)
        finally:
            await conn.close()

    return asyncio.run(run())


def execute(dsn: str, sql: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(dsn, timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postmaster.pid").read_text().split()[0])


def is_dead(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def spawn_starter(data_dir: Path, out: Path, sleep: float) -> subprocess.Popen[bytes]:
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from gateway.embedded import start_embedded\n"
        "e = start_embedded(Path(sys.argv[1]))\n"
        "Path(sys.argv[2]).write_text(e.dsn)\n"
        f"time.sleep({sleep})\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", code, str(data_dir), str(out)], cwd=ROOT, env=env)


def wait_for_file(path: Path, proc: subprocess.Popen[bytes], timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        assert proc.poll() is None, f"starter exited with {proc.returncode}"
        time.sleep(0.05)
    raise AssertionError("starter did not report a DSN")


def test_default_data_dir() -> None:
    assert default_data_dir().parts[-1] == "fingraph"


def test_start_stop_restart_keeps_data(data_dir: Path) -> None:
    pg = start_embedded(data_dir)
    assert pg.data_dir == data_dir.resolve()
    assert pg.dsn.startswith("postgresql://") and "@127.0.0.1:" in pg.dsn
    assert fetch(pg.dsn, "SELECT current_database()") == "fingraph"
    assert fetch(pg.dsn, "SHOW listen_addresses") == "127.0.0.1"
    assert fetch(pg.dsn, "SHOW unix_socket_directories") == ""
    execute(pg.dsn, "CREATE TABLE t (x int); INSERT INTO t VALUES (42)")
    assert start_embedded(data_dir) == pg  # running server is reused

    pid = postmaster_pid(data_dir)
    pg.stop()
    assert is_dead(pid) and not (data_dir / "postmaster.pid").exists()
    pg.stop()  # idempotent

    pg2 = start_embedded(data_dir)
    assert fetch(pg2.dsn, "SELECT x FROM t") == 42
    odd = start_embedded(data_dir, database='odd "db"/name')
    assert fetch(odd.dsn, "SELECT current_database()") == 'odd "db"/name'
    odd.stop()


def test_sigkilled_parent_leaves_server_that_is_reused(data_dir: Path, tmp_path: Path) -> None:
    proc = spawn_starter(data_dir, tmp_path / "dsn", sleep=60)
    try:
        dsn = wait_for_file(tmp_path / "dsn", proc)
        execute(dsn, "CREATE TABLE t (x int); INSERT INTO t VALUES (7)")
        pid = postmaster_pid(data_dir)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not is_dead(pid)  # orphaned server is still up

    pg = start_embedded(data_dir)
    assert pg.dsn == dsn and postmaster_pid(data_dir) == pid
    assert fetch(pg.dsn, "SELECT x FROM t") == 7
    pg.stop()
    assert is_dead(pid)


def test_sigkilled_postmaster_recovers(data_dir: Path) -> None:
    pg = start_embedded(data_dir)
    execute(pg.dsn, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
    pid = postmaster_pid(data_dir)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while not is_dead(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (data_dir / "postmaster.pid").exists()

    pg2 = start_embedded(data_dir)
    pid2 = postmaster_pid(data_dir)
    assert pid2 != pid
    assert fetch(pg2.dsn, "SELECT x FROM t") == 1

    # stop() from inside a signal handler
    previous = signal.signal(signal.SIGUSR1, lambda *_: pg2.stop())
    try:
        os.kill(os.getpid(), signal.SIGUSR1)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert is_dead(pid2)


@pytest.mark.parametrize("stale", ["dead", "foreign"])
def test_stale_postmaster_pid_is_ignored(data_dir: Path, stale: str) -> None:
    pg = start_embedded(data_dir)
    execute(pg.dsn, "CREATE TABLE t (x int); INSERT INTO t VALUES (5)")
    pg.stop()
    if stale == "dead":
        child = subprocess.Popen(["true"])
        child.wait()
        pid = child.pid
    else:
        pid = os.getpid()  # alive, but not a postgres process
    (data_dir / "postmaster.pid").write_text(
        f"{pid}\n{data_dir}\n{int(time.time())}\n5999\n\n127.0.0.1\n  1234567     32768\nready   \n"
    )
    (data_dir / ".s.PGSQL.5999.lock").write_text(f"{pid}\n")

    pg2 = start_embedded(data_dir)
    assert fetch(pg2.dsn, "SELECT x FROM t") == 5
    assert not (data_dir / ".s.PGSQL.5999.lock").exists()
    pg2.stop()


def test_concurrent_first_start(data_dir: Path, tmp_path: Path) -> None:
    procs = [spawn_starter(data_dir, tmp_path / f"dsn{i}", sleep=0) for i in range(2)]
    for proc in procs:
        assert proc.wait(timeout=60) == 0
    dsns = {(tmp_path / f"dsn{i}").read_text() for i in range(2)}
    assert len(dsns) == 1
    dsn = dsns.pop()
    assert fetch(dsn, "SELECT 1") == 1
    start_embedded(data_dir).stop()


def test_a_shared_server_is_stopped_by_its_starter_only_when_nobody_else_uses_it(data_dir: Path) -> None:
    # given a server started by one user and adopted by a second
    with embedded_server(data_dir) as first:
        pid = postmaster_pid(data_dir)
        with embedded_server(data_dir) as second:
            assert (first.started, second.started) == (True, False) and second.dsn == first.dsn
        # when the second leaves, it leaves the server it did not start running
        assert not is_dead(pid) and fetch(first.dsn, "SELECT 1") == 1
    # and the starter, last out, stops it
    assert is_dead(pid)


def test_the_last_user_out_stops_a_server_whose_starter_left_first(data_dir: Path) -> None:
    starter = embedded_server(data_dir)
    first = starter.__enter__()
    pid = postmaster_pid(data_dir)
    with embedded_server(data_dir) as second:
        # when the starter leaves while another still uses the server
        starter.__exit__(None, None, None)
        # then the server keeps running for it
        assert not is_dead(pid) and fetch(second.dsn, "SELECT 1") == 1 and not second.started
    # and the last user out stops it
    assert is_dead(pid)
    assert first.started


def test_a_server_found_running_is_left_running(data_dir: Path) -> None:
    # given a server started outside any shared use (as by a killed parent)
    outside = start_embedded(data_dir)
    pid = postmaster_pid(data_dir)
    # when a user adopts it and leaves
    with embedded_server(data_dir) as adopted:
        assert adopted.dsn == outside.dsn and not adopted.started
    # then it never stops what it did not start
    assert not is_dead(pid)
    outside.stop()


def test_a_restarted_server_keeps_its_port(data_dir: Path) -> None:
    pg = start_embedded(data_dir)
    pg.stop()
    assert start_embedded(data_dir).dsn == pg.dsn  # clients' DSNs stay valid across a restart
