"""``flask --app pwa audit …``: verify the hash chain, sign and export checkpoints."""

from __future__ import annotations

from typing import IO

import click
from flask.cli import AppGroup

from pwa.audit_log import write_checkpoint
from pwa.cli import ensure_current_schema
from pwa.domain import audit_verify
from pwa.domain.audit_chain import utc_text
from pwa.domain.audit_verify import Kind, Problem, Report
from pwa.extensions import db, secrets

audit_cli = AppGroup("audit", help="审计日志：校验哈希链，签名并导出检查点。")


def _checkpoint_name(problem: Problem) -> str:
    if problem.checkpoint_id is None:
        return f"导出文件中的检查点（seq {problem.seq}）"
    return f"检查点 #{problem.checkpoint_id}（seq {problem.seq}）"


def describe(problem: Problem) -> str:
    """One line an operator can act on."""
    if problem.kind is Kind.MISSING:
        return (
            f"第一条异常记录 seq {problem.missing_to + 1}（id {problem.record_id}）："
            f"其前的 seq {problem.seq}–{problem.missing_to} 缺失（记录被删除）"
        )
    if problem.kind is Kind.RELINKED:
        return (
            f"第一条异常记录 seq {problem.seq}（id {problem.record_id}）：前序哈希与 "
            f"seq {problem.seq - 1} 的哈希不符（seq {problem.seq - 1} 被替换或本条被改写）"
        )
    if problem.kind is Kind.ALTERED:
        return (
            f"第一条异常记录 seq {problem.seq}（id {problem.record_id}）："
            "内容与其哈希不符（记录被修改）"
        )
    name = _checkpoint_name(problem)
    if problem.kind is Kind.FORGED:
        return f"{name}的签名无效（检查点被伪造或修改）"
    if problem.kind is Kind.OTHER_KEY:
        return f"{name}不是用当前的 PWA_AUDIT_CHECKPOINT_KEY 签名的"
    if problem.kind is Kind.REWRITTEN:
        return (
            f"{name}与日志不符：seq {problem.since}–{problem.seq} 之间的记录被改写"
            "（哈希已重新计算）"
        )
    return f"{name}晚于日志末尾：seq {problem.since} 起的记录被删除"


def _report(report: Report) -> None:
    if report.broken is not None:
        click.echo(f"审计日志哈希链已被破坏。{describe(report.broken)}。", err=True)
    if report.checkpoint is not None:
        click.echo(f"检查点校验失败：{describe(report.checkpoint)}。", err=True)
    if report.ok:
        click.echo(
            f"审计日志哈希链完整：共 {report.count:,} 条记录，最后一条 seq {report.last_seq}，"
            f"哈希 {report.last_hash}；{report.checkpoints} 个检查点与日志一致。"
        )


@audit_cli.command("verify")
@click.option(
    "--checkpoints",
    "exported",
    type=click.File("r", encoding="utf-8"),
    default=None,
    help="同时核对异地保存的检查点文件（export-checkpoints 导出的 JSON 行）",
)
def audit_verify_command(exported: IO[str] | None) -> None:
    """逐条校验哈希链并核对检查点；发现问题时指出第一条异常记录，退出码非零。"""
    ensure_current_schema()
    extra = []
    if exported is not None:
        try:
            extra = audit_verify.read_lines(exported)
        except ValueError as bad:
            raise click.ClickException(f"检查点文件第 {bad.args[0]} 行格式不正确") from None
    with db.sessionmaker() as session:
        report = audit_verify.verify(session, secrets.audit_checkpoint_key, extra=extra)
    _report(report)
    if not report.ok:
        raise SystemExit(1)


@audit_cli.command("checkpoint")
def audit_checkpoint() -> None:
    """校验上一检查点以来的记录，然后签名写入新的检查点（建议每小时运行一次）。"""
    ensure_current_schema()
    try:
        checkpoint = write_checkpoint()
    except audit_verify.ChainBroken as broken:
        _report(broken.report)
        raise click.ClickException("哈希链有问题，未写入检查点") from None
    click.echo(
        f"已写入检查点：seq {checkpoint.seq}，哈希 {checkpoint.hash}，"
        f"时间 {utc_text(checkpoint.created_at)}。"
    )


@audit_cli.command("export-checkpoints")
@click.option(
    "--out",
    "out",
    type=click.File("w", encoding="utf-8", atomic=True),
    required=True,
    help="输出文件（JSON 行；- 表示标准输出），供异地保存",
)
def audit_export_checkpoints(out: IO[str]) -> None:
    """把全部检查点导出为 JSON 行，供异地保存；audit verify --checkpoints 可据此核对。"""
    ensure_current_schema()
    count = 0
    with db.sessionmaker() as session:
        for line in audit_verify.export_lines(session):
            out.write(line + "\n")
            count += 1
    click.echo(f"已导出 {count} 个检查点。", err=True)
