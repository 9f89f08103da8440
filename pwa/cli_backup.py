"""Command line for backups and keys: ``flask --app pwa backup create`` / ``verify`` /
``restore`` / ``drill`` / ``drills`` and ``flask --app pwa keys status`` /
``rotate-data-key``."""

from __future__ import annotations

import getpass
import socket
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from pwa import clock
from pwa.cli import ensure_current_schema
from pwa.extensions import db, secrets


def _backup_key() -> bytes:
    from pwa.keys import backup_key

    return backup_key(current_app.config)


def _backup_dir(to: str | None) -> Path:
    configured = to or current_app.config.get("BACKUP_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "backups"


def _fail(exc: Exception) -> None:
    raise click.ClickException(str(exc)) from None


@click.group("backup")
def backup_cli() -> None:
    """加密备份：创建、校验、恢复与恢复演练。"""


@backup_cli.command("create")
@click.option(
    "--to", "to", default=None, help="备份目录（默认 PWA_BACKUP_DIR 或 instance/backups）"
)
@with_appcontext
def backup_create(to: str | None) -> None:
    """创建一份加密备份（应用运行时也可执行，得到一致的快照）。"""
    from pwa.domain import backup

    ensure_current_schema()
    try:
        created = backup.create(
            current_app.config["DATABASE_URL"], _backup_key(), _backup_dir(to), clock.now()
        )
    except backup.BackupError as exc:
        _fail(exc)
    rows = sum(t["rows"] for t in created.manifest["tables"].values())
    click.echo(f"已创建加密备份：{created.path}")
    click.echo(
        f"  {len(created.manifest['tables'])} 张表、{rows:,} 行，文件 {created.size:,} 字节，"
        f"SHA-256 {created.sha256}"
    )


@backup_cli.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_verify(file: Path) -> None:
    """解密并校验备份的每一块与清单；任何改动都会报错（退出码非零）。"""
    from pwa.domain import backup

    try:
        manifest = backup.verify(file, _backup_key())
    except backup.BackupError as exc:
        _fail(exc)
    rows = sum(t["rows"] for t in manifest["tables"].values())
    click.echo(
        f"备份完好：{manifest['engine']}，结构版本 {manifest['schema_revision']}，"
        f"创建于 {manifest['created_at']}，{len(manifest['tables'])} 张表、{rows:,} 行。"
    )


@backup_cli.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--into", "into", required=True, help="目标数据库（必须是新建的空数据库）")
@with_appcontext
def backup_restore(file: Path, into: str) -> None:
    """把备份恢复到一个新的空数据库，并逐表核对行数与内容哈希。"""
    from pwa.domain import backup

    try:
        manifest = backup.restore(file, _backup_key(), into)
    except backup.BackupError as exc:
        _fail(exc)
    click.echo(
        f"恢复完成并已核对：{len(manifest['tables'])} 张表的行数与内容哈希均与清单一致"
        f"（结构版本 {manifest['schema_revision']}）。"
    )


@backup_cli.command("drill")
@click.option(
    "--to", "to", default=None, help="备份目录（默认 PWA_BACKUP_DIR 或 instance/backups）"
)
@with_appcontext
def backup_drill(to: str | None) -> None:
    """恢复演练：创建 → 校验 → 恢复到临时数据库 → 核对，并记录结果（建议每天定时运行）。"""
    from pwa.domain import backup
    from pwa.models import BackupDrill

    ensure_current_schema()
    started, began = clock.now(), time.monotonic()
    outcome = backup.drill(
        current_app.config["DATABASE_URL"], _backup_key(), _backup_dir(to), started
    )
    with db.write() as session:
        session.add(
            BackupDrill(
                started_at=started,
                duration_ms=int((time.monotonic() - began) * 1000),
                host=socket.gethostname()[:255],
                operator=_operator(),
                engine=db.engine.dialect.name,
                file=outcome.file[:1024],
                size_bytes=outcome.size,
                ok=outcome.ok,
                reason=outcome.reason,
            )
        )
    if not outcome.ok:
        raise click.ClickException(f"恢复演练失败（已记录）：{outcome.reason}")
    click.echo(f"恢复演练成功（已记录）：{outcome.file}")


def _operator() -> str:
    try:
        return getpass.getuser()[:255]
    except (KeyError, OSError):
        return "unknown"


@backup_cli.command("drills")
@click.option("--limit", default=20, show_default=True, help="显示最近多少次")
@with_appcontext
def backup_drills(limit: int) -> None:
    """列出最近的恢复演练结果。"""
    from pwa.models import BackupDrill

    ensure_current_schema()
    rows = db.session.scalars(
        select(BackupDrill)
        .order_by(BackupDrill.started_at.desc(), BackupDrill.id.desc())
        .limit(limit)
    ).all()
    if not rows:
        click.echo("还没有恢复演练记录：可运行 flask --app pwa backup drill")
        return
    for row in rows:
        status = "成功" if row.ok else f"失败：{row.reason}"
        click.echo(
            f"{row.started_at:%Y-%m-%d %H:%M:%S}Z  {row.duration_ms / 1000:.1f} 秒  "
            f"{row.operator}@{row.host}  {row.engine}  {row.file or '—'}  {status}"
        )


@click.group("keys")
def keys_cli() -> None:
    """数据加密密钥：状态与轮换。"""


@keys_cli.command("status")
@with_appcontext
def keys_status() -> None:
    """显示各加密字段在每个密钥编号下的数量。"""
    from pwa.domain import rotation

    ensure_current_schema()
    cipher = secrets.cipher
    known = "、".join(str(k) for k in sorted(cipher.keys))
    click.echo(f"当前密钥编号：{cipher.current_key_id}（已配置：{known}）")
    old = 0
    for column in rotation.encrypted_columns():
        counts = rotation.key_id_counts(db.session, column)
        old += sum(n for key_id, n in counts.items() if key_id != cipher.current_key_id)
        shown = "，".join(f"编号 {k}：{n:,}" for k, n in sorted(counts.items())) or "无数据"
        click.echo(f"  {column.label}（{column.name}）：{shown}")
    if old:
        click.echo(f"尚有 {old:,} 个值使用旧密钥：运行 flask --app pwa keys rotate-data-key")
    else:
        click.echo("全部加密数据均使用当前密钥。")


@keys_cli.command("rotate-data-key")
@click.option("--batch", default=500, show_default=True, help="每个事务重新加密的行数")
@with_appcontext
def keys_rotate(batch: int) -> None:
    """用当前数据密钥重新加密全部加密字段（分批、可重复执行、中断后可继续）。"""
    from pwa.domain import rotation

    ensure_current_schema()
    cipher = secrets.cipher
    click.echo(f"正在用密钥编号 {cipher.current_key_id} 重新加密…")
    try:
        done = rotation.rotate_all(
            db.sessionmaker,
            cipher,
            size=max(batch, 1),
            progress=lambda column, total: click.echo(f"  {column.label}：已重新加密 {total:,}"),
        )
    except rotation.RotationError as exc:
        _fail(exc)
    click.echo(
        f"完成：共重新加密 {sum(done.values()):,} 个值，全部使用密钥编号 {cipher.current_key_id}。"
    )
