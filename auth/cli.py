"""Account commands: ``create-user`` (the first administrators) and ``demo-accounts``."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from auth import accounts
from auth.demo import list_demo_accounts
from auth.i18n import UserFacingError
from auth.labels import ROLE_LABELS
from auth.roles import Role
from pwa import clock
from pwa.cli import CLI_ACTOR, ensure_current_schema
from pwa.domain import audit
from pwa.extensions import db, secrets
from pwa.models import Region, Unit


@click.command("create-user")
@click.option("--username", required=True, help="登录用户名（小写字母开头）")
@click.option("--name", "display_name", required=True, help="姓名")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--region", "region_code", default=None, help="管辖行政区划代码（业务账户）")
@click.option("--unit", "unit_code", default=None, help="所在单位统一社会信用代码（单位经办人）")
@click.password_option("--password", help="初始密码（不提供则交互输入）")
@with_appcontext
def create_user(
    username: str,
    display_name: str,
    role: str,
    region_code: str | None,
    unit_code: str | None,
    password: str,
) -> None:
    """创建账户（如安装后的第一个系统管理员）。首次登录须签署保密承诺并绑定验证器。"""
    ensure_current_schema()
    chosen = Role(role)
    with db.write() as s:
        region_id = unit_id = None
        if region_code:
            region_id = s.scalar(select(Region.id).where(Region.code == region_code))
            if region_id is None:
                raise click.ClickException(f"找不到行政区划代码 {region_code}")
        if unit_code:
            unit_id = s.scalar(select(Unit.id).where(Unit.credit_code == unit_code.upper()))
            if unit_id is None:
                raise click.ClickException(f"找不到统一社会信用代码 {unit_code}")
        try:
            created = accounts.create_account(
                s,
                accounts.NewAccount(
                    username=username,
                    display_name=display_name,
                    account_class=chosen.role_class,
                    password=password,
                    role=None if chosen.is_admin else chosen,
                    region_id=region_id,
                    unit_id=unit_id,
                    must_change_password=False,
                ),
                created_by=None,
                now=clock.now(),
            )
        except UserFacingError as refused:
            raise click.ClickException(str(refused)) from None
        audit.record(
            s,
            CLI_ACTOR,
            "admin.account.create",
            now=clock.now(),
            object_type="account",
            object_id=created.id,
            detail={"username": created.username, "class": chosen.role_class.value},
        )
    click.echo(
        f"已创建账户 {username}（{ROLE_LABELS[chosen]}）。首次登录时需签署保密承诺并绑定验证器。"
    )


@click.command("demo-accounts")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出，供脚本和测试使用")
@with_appcontext
def demo_accounts(as_json: bool) -> None:
    """列出演示账户及其密码和 TOTP 密钥（仅限非生产环境）。"""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("生产环境没有演示账户")
    ensure_current_schema()
    with db.sessionmaker() as s:
        rows = list_demo_accounts(s, secrets.cipher)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("没有演示账户（运行 flask --app pwa seed-demo 生成）。")
        return
    click.echo(
        "演示账户（密码相同；TOTP 密钥可手动输入任意验证器应用，或用 oathtool --totp -b 密钥）："
    )
    click.echo(f"  密码：{rows[0]['password']}")
    for row in rows:
        label = str(ROLE_LABELS[Role(row["role"])])
        click.echo(f"  {row['username']:<10} {label:<10} TOTP 密钥 {row['totp_secret']}")
