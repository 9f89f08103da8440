"""The stable command-line contracts: db upgrade, seed-demo, demo-accounts, create-user."""

from __future__ import annotations

import json
from pathlib import Path

import pyotp
from sqlalchemy import func, select, text

from auth.models import Account
from pwa.extensions import db
from pwa.models import Person, Unit


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_seed_demo_refuses_an_existing_database_unless_reset(app):
    first = run(app, "seed-demo", "--scale", "tiny", "--as-of", "2026-06-01")
    assert first.exit_code == 0, first.output
    units, persons = count(app, Unit), count(app, Person)
    assert units > 50 and persons > 900

    again = run(app, "seed-demo", "--scale", "tiny")
    assert again.exit_code != 0 and "--reset" in again.output
    assert count(app, Unit) == units  # nothing half-written

    skipped = run(app, "seed-demo", "--scale", "tiny", "--if-empty")
    assert skipped.exit_code == 0 and "跳过" in skipped.output

    reset = run(app, "seed-demo", "--scale", "tiny", "--reset", "--as-of", "2026-06-01")
    assert reset.exit_code == 0, reset.output
    assert (count(app, Unit), count(app, Person)) == (units, persons)  # same seed, same data


def test_demo_accounts_json_is_the_documented_shape_and_codes_work(app):
    run(app, "seed-demo", "--scale", "tiny")
    result = run(app, "demo-accounts", "--json")
    rows = json.loads(result.output)
    assert {row["role"] for row in rows} == {
        "unit_clerk",
        "office_staff",
        "office_leader",
        "office_director",
        "org_reviewer",
        "finance_reviewer",
        "hr_reviewer",
        "system_admin",
        "security_admin",
        "audit_admin",
    }
    for row in rows:
        assert set(row) == {"username", "password", "role", "totp_secret"}
        assert len(pyotp.TOTP(row["totp_secret"]).now()) == 6
    human = run(app, "demo-accounts")
    assert rows[0]["totp_secret"] in human.output


def test_totp_secrets_are_encrypted_at_rest(app):
    run(app, "seed-demo", "--scale", "tiny")
    secrets = [row["totp_secret"] for row in json.loads(run(app, "demo-accounts", "--json").output)]
    path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    with app.app_context():
        db.engine.dispose()  # checkpoint the WAL so the file holds everything
    raw = Path(path).read_bytes()
    for secret in secrets:
        assert secret.encode() not in raw


def test_create_user_makes_a_first_admin_who_must_enrol(app):
    result = run(
        app,
        "create-user",
        "--username",
        "admin",
        "--name",
        "张三",
        "--role",
        "system_admin",
        "--password",
        "Tz9!kLm#2wQp",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.username == "admin"))
        assert not account.totp_enrolled and account.pledge_accepted_at is None
    weak = run(
        app,
        "create-user",
        "--username",
        "admin2",
        "--name",
        "李四",
        "--role",
        "security_admin",
        "--password",
        "short",
    )
    assert weak.exit_code != 0 and "密码至少 8 个字符" in weak.output


def test_no_accounts_exist_after_a_fresh_install(app):
    assert count(app, Account) == 0
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM account_role")).scalar() == 0


def test_production_never_creates_demo_accounts(app):
    app.config["ENV_NAME"] = "production"
    refused = run(app, "seed-demo", "--scale", "tiny")
    assert refused.exit_code != 0
    seeded = run(app, "seed-demo", "--scale", "tiny", "--reset")
    assert seeded.exit_code == 0, seeded.output
    assert count(app, Unit) > 0 and count(app, Account) == 0
    assert run(app, "demo-accounts").exit_code != 0
