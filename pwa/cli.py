"""Command line: ``flask --app pwa db upgrade``, ``seed-demo`` and friends (stable names)."""

from __future__ import annotations

from datetime import date

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from pwa import clock, migrate
from pwa.domain import audit
from pwa.extensions import db, secrets

db_cli = AppGroup("db", help="数据库结构迁移。")
# Who the audit log names for what an operator does on the command line.
CLI_ACTOR = audit.Actor(account_id=None, role="system", ip="", request_id="cli")


def _fail_unreachable(exc: OperationalError) -> None:
    raise click.ClickException(
        f"无法连接数据库：{exc.orig.__class__.__name__}（检查 DATABASE_URL 与数据库服务是否启动）"
    )


def ensure_current_schema() -> None:
    """Stop a command with one clear line when the database is unreachable or not migrated."""
    try:
        current = migrate.current_revision(db.engine)
    except OperationalError as exc:
        _fail_unreachable(exc)
    if current != migrate.head_revision():
        raise click.ClickException("数据库结构不是最新：请先运行 flask --app pwa db upgrade")


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="目标版本")
def db_upgrade(revision: str) -> None:
    """创建或升级数据库结构（可重复执行）。"""
    try:
        before = migrate.current_revision(db.engine)
        migrate.upgrade(db.engine, revision)
        after = migrate.current_revision(db.engine)
    except OperationalError as exc:
        _fail_unreachable(exc)
    if before == after:
        click.echo(f"数据库结构已是最新（{after}）。")
    else:
        click.echo(f"数据库结构已升级：{before or '空'} → {after}。")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """回退数据库结构到指定版本（base 表示清空）。"""
    migrate.downgrade(db.engine, revision)
    click.echo(f"数据库结构已回退到 {migrate.current_revision(db.engine) or 'base'}。")


@db_cli.command("current")
def db_current() -> None:
    """显示当前数据库结构版本。"""
    click.echo(migrate.current_revision(db.engine) or "base")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """（开发者）根据模型变化生成迁移脚本。"""
    migrate.revision(db.engine, message)


def _database_has_units() -> bool:
    from pwa.models import Unit

    with db.sessionmaker() as session:
        return bool(session.scalar(select(func.count()).select_from(Unit)))


@click.command("seed-demo")
@click.option(
    "--scale",
    type=click.Choice(["tiny", "city", "province"]),
    default="city",
    show_default=True,
    help="city ≈ 1,500 个单位 / 4 万人；province ≈ 5 万 / 100 万",
)
@click.option("--reset", is_flag=True, help="先清空数据库中的全部数据再生成")
@click.option("--if-empty", is_flag=True, help="数据库已有数据时什么也不做（供 make run 使用）")
@click.option("--seed", default=20240601, show_default=True, help="随机种子：相同种子得到相同数据")
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="演示数据的基准日期（默认今天）",
)
@with_appcontext
def seed_demo(scale: str, reset: bool, if_empty: bool, seed: int, as_of: object) -> None:
    """生成合成的演示数据（虚构的人员与身份证号，不含真实个人信息）。"""
    from auth.demo import create_demo_accounts
    from pwa.seed import generate_demo
    from pwa.seed.items import seed_demo_items

    if current_app.config["ENV_NAME"] == "production" and not reset:
        raise click.ClickException(
            "生产环境不生成演示数据（如确需在演示服务器上生成，请加 --reset；"
            "不会创建演示账户，请用 create-user 创建）"
        )
    ensure_current_schema()
    has_data = _database_has_units()
    if has_data and if_empty:
        click.echo("数据库中已有数据，跳过生成演示数据。")
        return
    if has_data and not reset:
        raise click.ClickException(
            "数据库中已有数据：如需重新生成（将删除全部现有数据），请加 --reset"
        )
    if reset:
        migrate.downgrade(db.engine, "base")
        migrate.upgrade(db.engine)
        click.echo("已清空数据库。")
    as_of_date = as_of.date() if as_of else date.today()
    click.echo(f"正在生成演示数据（规模 {scale}，基准日期 {as_of_date}）…")
    with db.engine.begin() as connection:
        report = generate_demo(
            connection,
            scale=scale,
            seed=seed,
            as_of=as_of_date,
            cipher=secrets.cipher,
            blind_index=secrets.blind_index,
            progress=lambda line: click.echo(f"  {line}"),
        )
        # Same transaction: a failure anywhere leaves the database as it was. Accounts with
        # a published password never exist in production.
        created = items = 0
        if current_app.config["ENV_NAME"] != "production":
            with Session(bind=connection) as session:
                created = create_demo_accounts(session, secrets.cipher, clock.now())
                items = seed_demo_items(session, secrets.cipher, secrets.blind_index, clock.now())
                session.flush()
    click.echo(
        f"完成：{report.regions} 个行政区划、{report.units:,} 个单位、{report.persons:,} 名人员、"
        f"{report.ledger_entries:,} 条编制台账，{created} 个演示账户、{items} 个演示事项，用时 {report.seconds:.1f} 秒。"  # noqa: E501 - one msgid
    )


@click.group("items")
def items_cli() -> None:
    """事项：定时任务。"""


@items_cli.command("expire")
@with_appcontext
def items_expire() -> None:
    """把预占编制已过有效期的用编申请标为“已过期”（建议每天运行一次）。"""
    from pwa.domain.items import effects, service

    ensure_current_schema()
    ctx = service.Context(
        clock=service.Clock(clock.now(), clock.today()),
        keys=effects.Keys(secrets.cipher, secrets.blind_index),
        policy=current_app.config["WORKFLOW_POLICY"],
        actor=CLI_ACTOR,
    )
    with db.write() as session:
        count = service.expire_reservations(session, ctx)
    click.echo(f"已过期的用编申请：{count} 项。")


@click.command("push-worker")
@click.option("--once", is_flag=True, help="只处理一轮后退出（供定时任务或排错使用）")
@click.option("--poll", type=float, default=None, help="空闲时查看发件箱的间隔（秒）")
@with_appcontext
def push_worker(once: bool, poll: float | None) -> None:
    """发送推送通知：持续处理发件箱，直到按 Ctrl+C 或收到 SIGTERM。"""
    from pwa import push_runtime

    ensure_current_schema()
    app = current_app._get_current_object()
    worker = push_runtime.make_worker(app)
    interval = poll if poll is not None else app.config["PUSH_POLL_SECONDS"]
    if not once:
        click.echo(f"推送发送进程已启动（每 {interval:g} 秒查看一次发件箱）。")
    push_runtime.serve(app, worker, poll_seconds=interval, once=once, report=click.echo)


@click.group("push")
def push_cli() -> None:
    """推送通知：密钥与定时提醒。"""


@push_cli.command("vapid-key")
def push_vapid_key() -> None:
    """生成一对新的 VAPID 密钥（用于生产环境的 PWA_VAPID_PRIVATE_KEY）。"""
    from pwa.domain.push.sender import VapidKeys

    private = VapidKeys.generate()
    public = VapidKeys(private, "mailto:x@example.invalid").public_key
    click.echo(f"PWA_VAPID_PRIVATE_KEY={private}")
    click.echo(f"# 公钥（浏览器订阅时使用，由服务自动提供）：{public}")
    click.echo("# 更换密钥后，所有设备需要重新开启通知。")


@push_cli.command("deadlines")
@with_appcontext
def push_deadlines() -> None:
    """提醒即将到期的待办（推送发送进程每 10 分钟自动执行一次）。"""
    from pwa import push_runtime

    ensure_current_schema()
    app = current_app._get_current_object()
    count = push_runtime.make_worker(app).queue_deadlines(
        clock.now(), clock.today(), push_runtime.zone(app)
    )
    click.echo(f"已排队的到期提醒：{count} 条。")


def init_app(app: Flask) -> None:
    from auth.cli import create_user, demo_accounts
    from pwa.audit_cli import audit_cli
    from pwa.cli_backup import backup_cli, keys_cli

    app.cli.add_command(db_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(items_cli)
    app.cli.add_command(push_worker)
    app.cli.add_command(push_cli)
    app.cli.add_command(create_user)
    app.cli.add_command(demo_accounts)
    app.cli.add_command(backup_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(audit_cli)
