"""The ``fingraph`` command: serve, worker, token, migrate, seed, accrue, schema export, graphiql-assets."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import FrameType

import asyncpg
import click

from gateway import db
from gateway.auth import issue_token, principal_for, secret_in_database, secret_in_file
from gateway.settings import Settings
from services.kernel.clock import Clock
from services.kernel.errors import DomainError
from services.kernel.principal import Principal


def _exit_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    # Turn SIGTERM into a normal exit so that `finally` blocks stop the embedded server.
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def database(settings: Settings, *, seed_if_empty: bool = False) -> Iterator[Settings]:
    """Settings with a database_url and a token secret: the given server, or the embedded one.

    The embedded server of the data dir is shared: a command run while ``fingraph serve``
    runs uses that server and leaves it running (``gateway.embedded.embedded_server``).
    """
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        with contextlib.ExitStack() as stack:
            if settings.database_url is None:
                from gateway.embedded import embedded_server

                stack.callback(_say_left, settings.data_dir / "pgdata")  # runs after the server's exit
                embedded = stack.enter_context(embedded_server(settings.data_dir / "pgdata"))
                click.echo(
                    f"{'started' if embedded.started else 'using the running'} embedded PostgreSQL"
                    f" in {settings.data_dir}", err=True,
                )
                settings = replace(
                    settings, database_url=embedded.dsn,
                    jwt_secret=settings.jwt_secret or secret_in_file(settings.data_dir),
                )
            assert settings.database_url is not None
            asyncio.run(_prepare(settings, seed_if_empty=seed_if_empty))
            if settings.jwt_secret is None:
                settings = replace(settings, jwt_secret=asyncio.run(_database_secret(settings.database_url)))
            yield settings
    finally:
        signal.signal(signal.SIGTERM, previous)


def _say_left(data_dir: Path) -> None:
    running = (data_dir / "postmaster.pid").exists()
    click.echo(f"embedded PostgreSQL {'left running' if running else 'stopped'}", err=True)


async def _prepare(settings: Settings, *, seed_if_empty: bool) -> None:
    assert settings.database_url is not None
    applied = await db.migrate_dsn(settings.database_url)
    for name in applied:
        click.echo(f"migrated {name}", err=True)
    if seed_if_empty:
        from gateway import demo

        await demo.seed_if_empty(settings.database_url, clock=Clock.from_iso(settings.now))


async def _database_secret(dsn: str) -> str:
    conn: asyncpg.Connection = await db.connect(dsn)
    try:
        return await secret_in_database(conn)
    finally:
        await conn.close()


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Embedded PostgreSQL data directory (ignored when DATABASE_URL is set).",
)


@click.group()
def main() -> None:
    """fingraph: one GraphQL graph of payments, credit and funds."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@data_dir_option
@click.option("--workers", default=1, show_default=True, type=int)
@click.option("--subgraph", type=click.Choice(["payments", "credit", "funds"]), default=None)
@click.option("--demo", is_flag=True, default=False,
              help="Demo mode (also FINGRAPH_DEMO=1): print demo tokens, GraphiQL prefills one for loopback clients.")
# Off by default: uvicorn's line per request cost about 16% of the read rate (docs/adr/019);
# every response carries X-Request-ID and /metrics counts requests by path and status.
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="uvicorn's access log, a line per request.")
# On by default so that `make serve` alone keeps escrow, fund orders and interest moving;
# any number of processes with a worker run each job once (ADR 023).
@click.option("--worker/--no-worker", "run_worker", default=True, show_default=True,
              help="Run the scheduled jobs (auto-release, T+1 settlement, accrual) in this process too.")
def serve(
    host: str, port: int, data_dir: Path | None, workers: int, subgraph: str | None, demo: bool, access_log: bool,
    run_worker: bool,
) -> None:
    """Serve GraphQL (GraphiQL in a browser) at http://HOST:PORT/graphql."""
    import uvicorn

    overrides = {"data_dir": data_dir, "subgraph": subgraph, "demo": True if demo else None, "worker": run_worker}
    with database(Settings.from_env(**overrides), seed_if_empty=True) as settings:
        if settings.demo:
            click.echo("demo mode: demo tokens are printed and GraphiQL prefills one for loopback clients"
                       " (never use it where others can reach the server)", err=True)
            settings = _print_demo_tokens(settings)
        else:
            # Named demo parties mean nothing outside demo mode: nothing prefills a token.
            settings = replace(settings, demo_consumer=None, demo_merchant=None)
        click.echo(f"serving http://{host}:{port}/graphql", err=True)
        if settings.worker:
            click.echo("running the scheduled jobs in process (--no-worker turns them off)", err=True)
        if workers > 1:
            os.environ["DATABASE_URL"] = settings.database_url or ""
            os.environ["FINGRAPH_JWT_SECRET"] = settings.jwt_secret or ""
            os.environ["FINGRAPH_DEMO"] = "1" if settings.demo else "0"
            os.environ["FINGRAPH_WORKER"] = "1" if settings.worker else "0"
            for name, value in [
                ("FINGRAPH_DEMO_CONSUMER", settings.demo_consumer),
                ("FINGRAPH_DEMO_MERCHANT", settings.demo_merchant),
            ]:
                if value:
                    os.environ[name] = value
            if subgraph is not None:
                os.environ["FINGRAPH_SUBGRAPH"] = subgraph
            uvicorn.run(
                "gateway.app:app_from_env", factory=True, host=host, port=port, workers=workers, log_level="info",
                access_log=access_log, ws_max_size=settings.max_body_bytes,
            )
        else:
            from gateway.app import create_app

            # WebSocket messages are bounded like request bodies (the middleware checks it too).
            uvicorn.run(
                create_app(settings), host=host, port=port, log_level="info", access_log=access_log,
                ws_max_size=settings.max_body_bytes,
            )


def _print_demo_tokens(settings: Settings) -> Settings:
    """Print a token per demo party; the settings name them so GraphiQL prefills the consumer's."""
    from gateway import demo

    clock = Clock.from_iso(settings.now)
    parties = asyncio.run(demo.demo_parties(settings.database_url or ""))
    assert settings.jwt_secret is not None
    click.echo("demo tokens (use as 'Authorization: Bearer <token>' in GraphiQL's headers):")
    for label, role, party in [("operator", "operator", None), *parties]:
        principal = principal_for(role, party=party)
        token = issue_token(principal, secret=settings.jwt_secret, now=clock.now())
        click.echo(f"  {label}: {token}")
    by_role = {role: party for _label, role, party in parties}
    return replace(
        settings,
        demo_consumer=settings.demo_consumer or by_role.get("consumer"),
        demo_merchant=settings.demo_merchant or by_role.get("merchant"),
    )


@main.command()
@click.option("--role", type=click.Choice(["operator", "consumer", "merchant", "partner"]), required=True)
@click.option("--party", default=None, help="consumer or merchant id, e.g. con_1")
@click.option("--partner", default=None, help="partner id, e.g. ptn_1")
@click.option("--scopes", default="", help="partner scopes, e.g. payments:read,credit:read")
@click.option("--ttl-days", default=30, show_default=True, type=int)
@data_dir_option
def token(role: str, party: str | None, partner: str | None, scopes: str, ttl_days: int, data_dir: Path | None) -> None:
    """Print one bearer token (and nothing else) for the server's secret."""
    from datetime import timedelta

    try:
        principal = principal_for(role, party=party, partner=partner, scopes=scopes)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    settings = Settings.from_env(data_dir=data_dir)
    if principal.party_id is None and principal.partner_id is None:  # operators: no row to check
        secret = settings.jwt_secret or _secret(settings)
    else:
        with database(settings) as settings:
            assert settings.database_url is not None and settings.jwt_secret is not None
            # A principal is a kind and an id: mer_1 must name a merchant that exists, ptn_1 a partner.
            if not asyncio.run(_party_exists(settings.database_url, principal)):
                named, hint = (partner, "'--partner'") if principal.is_partner else (party, "'--party'")
                raise click.BadParameter(f"no {principal.role.value} {named}", param_hint=hint)
            secret = settings.jwt_secret
    click.echo(
        issue_token(principal, secret=secret, now=Clock.from_iso(settings.now).now(), ttl=timedelta(days=ttl_days))
    )


def _secret(settings: Settings) -> str:
    """The server's token secret: beside the embedded server's data, or in the given database."""
    if settings.database_url is None:
        return secret_in_file(settings.data_dir)
    asyncio.run(db.migrate_dsn(settings.database_url))
    return asyncio.run(_database_secret(settings.database_url))


async def _party_exists(dsn: str, principal: Principal) -> bool:
    from schema import partners_by_ids
    from schema.operations import PartyKind, party_of_kind

    conn: asyncpg.Connection = await db.connect(dsn)
    try:
        if principal.partner_id is not None:
            return bool(await partners_by_ids(conn, [principal.partner_id]))
        assert principal.party_id is not None
        await party_of_kind(conn, principal.party_id, PartyKind(principal.role.value.upper()), field="party")
    except DomainError:
        return False
    finally:
        await conn.close()
    return True


@main.command()
@data_dir_option
@click.option("--until-idle", is_flag=True,
              help="Run the jobs due now, then exit (for scripts); default: run until stopped.")
def worker(data_dir: Path | None, until_idle: bool) -> None:
    """Run the scheduled jobs (escrow auto-release, T+1 settlement, nightly accrual, missing yields).

    Any number of workers (and `fingraph serve` processes, which run one unless
    --no-worker) share the work: each job runs once per scheduled instant.
    """
    with database(Settings.from_env(data_dir=data_dir)) as settings:
        click.echo("worker started: jobs " + ", ".join(_job_names()), err=True)
        asyncio.run(_work(settings, until_idle=until_idle))


def _job_names() -> list[str]:
    from schema.operations import scheduling

    return [f"{job.name} ({job.cron})" for job in scheduling.JOBS]


async def _work(settings: Settings, *, until_idle: bool) -> None:
    from gateway.scheduler import Scheduler

    assert settings.database_url is not None
    pool = await db.create_pool(settings.database_url, min_size=1, max_size=4,
                                statement_timeout_ms=settings.statement_timeout_ms)
    try:
        clock = Clock.from_iso(settings.now)
        scheduler = Scheduler(dsn=settings.database_url, pool=pool, clock=clock,
                              platform_fee_bps=settings.platform_fee_bps)
        if until_idle:
            async with scheduler.app.open_async():
                await scheduler.defer_ticks(clock.now())
            await scheduler.run(wait=False, install_signal_handlers=False)
        else:
            await scheduler.run()
    finally:
        await pool.close()


@main.command()
@data_dir_option
def migrate(data_dir: Path | None) -> None:
    """Apply pending migrations of every service."""
    with database(Settings.from_env(data_dir=data_dir)):
        pass


@main.command()
@click.option("--consumers", default=200, show_default=True, type=int)
@click.option("--merchants", default=50, show_default=True, type=int)
@click.option("--seed", "random_seed", default=2026, show_default=True, type=int)
@click.option("--force", is_flag=True, help="Load another data set even if the database already holds parties.")
@data_dir_option
def seed(consumers: int, merchants: int, random_seed: int, force: bool, data_dir: Path | None) -> None:
    """Load a deterministic demo data set (named parties, months of payments) into an empty database.

    A database that already holds parties is left as it is (run it again: nothing
    changes); --force loads another data set beside them.
    """
    from gateway import demo

    with database(Settings.from_env(data_dir=data_dir)) as settings:
        found = asyncio.run(
            demo.seed_unless_seeded(
                settings.database_url or "",
                consumers=consumers,
                merchants=merchants,
                random_seed=random_seed,
                clock=Clock.from_iso(settings.now),
                progress=True,
                force=force,
            )
        )
    if found is not None:
        click.echo(f"the database already holds {found}: nothing loaded (--force loads another data set"
                   " beside it)", err=True)


@main.command(name="graphiql-assets")
def graphiql_assets_command() -> None:
    """Fetch GraphiQL's pinned browser files so the page works without internet (make install runs it)."""
    from gateway import graphiql_assets

    if graphiql_assets.complete(graphiql_assets.STATIC_DIR):
        click.echo(f"GraphiQL's files are in {graphiql_assets.STATIC_DIR}", err=True)
        return
    try:
        written = graphiql_assets.fetch()
    except graphiql_assets.AssetsError as exc:
        click.echo(f"{exc}\nGraphiQL will load from the CDN until this succeeds", err=True)
        sys.exit(1)
    click.echo(f"fetched {len(written)} GraphiQL files into {graphiql_assets.STATIC_DIR}", err=True)


@main.command(name="publish-yield")
@click.option("--fund", "fund_code", default="YEB", show_default=True, help="fund code")
@click.option("--date", "day", required=True, help="business date that has ended, e.g. 2026-11-19")
@click.option("--earnings-per-10k", "earnings", required=True, help='income per 10,000 units, e.g. "1.6500"')
@data_dir_option
def publish_yield(fund_code: str, day: str, earnings: str, data_dir: Path | None) -> None:
    """Operator batch: pay one day's fund income to every holder (idempotent per date)."""
    import datetime as _dt
    from decimal import Decimal, InvalidOperation

    try:
        business_date = _dt.date.fromisoformat(day)
        rate = Decimal(earnings)
    except (ValueError, InvalidOperation) as exc:
        raise click.BadParameter(str(exc)) from exc
    with database(Settings.from_env(data_dir=data_dir)) as settings:
        message, ok = asyncio.run(
            _publish_yield(settings.database_url or "", fund_code, business_date, rate, Clock.from_iso(settings.now))
        )
    click.echo(message, err=not ok)
    if not ok:
        sys.exit(1)


async def _publish_yield(dsn: str, fund_code: str, day: object, rate: object, clock: Clock) -> tuple[str, bool]:
    from schema.operations import funds
    from services.kernel.errors import DomainError

    conn = await db.connect(dsn)
    try:
        async with conn.transaction():
            d = await funds.publish_fund_yield(
                conn, fund_code=fund_code, day=day, earnings_per_10k=rate, now=clock.now()  # type: ignore[arg-type]
            )
    except DomainError as error:
        return f"{error.code.value}: {error.message}", False
    finally:
        await conn.close()
    if d.already_published:
        return f"{d.fund_code} {d.date} was already published ({d.earnings_per_10k} per 10k): nothing changed", True
    return (
        f"published {d.fund_code} {d.date} at {d.earnings_per_10k} per 10k: {d.holders} holders, "
        f"total income {d.total_income.amount}, residue {d.residue:f} kept by the fund"
    ), True


@main.command()
@click.option("--date", "day", required=True, help="business date that has ended, e.g. 2026-11-19")
@data_dir_option
def accrue(day: str, data_dir: Path | None) -> None:
    """Operator batch: charge one day's credit interest on every line (idempotent per date)."""
    import datetime as _dt

    try:
        business_date = _dt.date.fromisoformat(day)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    with database(Settings.from_env(data_dir=data_dir)) as settings:
        message, ok = asyncio.run(_accrue(settings.database_url or "", business_date, Clock.from_iso(settings.now)))
    click.echo(message, err=not ok)
    if not ok:
        sys.exit(1)


async def _accrue(dsn: str, day: object, clock: Clock) -> tuple[str, bool]:
    from schema.operations import credit
    from services.kernel.errors import DomainError

    conn = await db.connect(dsn)
    try:
        async with conn.transaction():
            a = await credit.accrue_daily_interest(conn, day=day, now=clock.now())  # type: ignore[arg-type]
    except DomainError as error:
        return f"{error.code.value}: {error.message}", False
    finally:
        await conn.close()
    if a.already_accrued:
        return f"{a.date} was already accrued ({a.lines} lines): nothing changed", True
    return (
        f"accrued {a.date}: {a.lines} lines, interest {a.total_interest.amount}, penalty "
        f"{a.total_penalty.amount}, sub-fen residue carried {a.residue:f} fen"
    ), True


@main.group(name="schema")
def schema_group() -> None:
    """The committed SDL files under schema/."""


@schema_group.command(name="export")
@click.option("--check", is_flag=True, help="Fail if the committed SDL differs from the code.")
def schema_export(check: bool) -> None:
    """Write schema/fingraph.graphql (or check it with --check)."""
    from schema.export import export_sdl

    drifted = export_sdl(check=check)
    for path in drifted:
        click.echo(f"{'drifted' if check else 'wrote'}: {path}", err=True)
    if check and drifted:
        click.echo("run `fingraph schema export` and commit the result", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
