"""`flask --app pwa audit verify | checkpoint | export-checkpoints`: the operator's view of
the chain, through the app's own CLI runner."""

from __future__ import annotations

import json

from tests.audit_helpers import rewrite_from, rows, tamper, write


def run(app, *args):
    return app.test_cli_runner().invoke(args=["audit", *args])


def test_verify_says_the_chain_is_intact_with_count_and_last_hash(any_app):
    write(any_app, 4)
    result = run(any_app, "verify")
    assert result.exit_code == 0, result.stderr
    last = rows(any_app)[-1]
    assert "哈希链完整" in result.stdout and "共 4 条记录" in result.stdout
    assert f"seq {last.seq}" in result.stdout and last.hash in result.stdout


def test_verify_names_the_first_broken_record_and_fails(any_app):
    write(any_app, 6)
    tamper(any_app, "UPDATE audit_event SET detail = '{}' WHERE seq = 3")
    tamper(any_app, "UPDATE audit_event SET detail = '{}' WHERE seq = 5")
    result = run(any_app, "verify")
    assert result.exit_code == 1
    broken = rows(any_app)[2]
    assert f"第一条异常记录 seq 3（id {broken.id}）" in result.stderr
    assert "seq 5" not in result.stderr  # the first one only


def test_verify_names_a_deleted_record(app):
    write(app, 5)
    tamper(app, "DELETE FROM audit_event WHERE seq = 2")
    result = run(app, "verify")
    assert result.exit_code == 1
    after = rows(app)[1]  # seq 3, now the second row
    assert f"第一条异常记录 seq 3（id {after.id}）" in result.stderr
    assert "seq 2–2 缺失" in result.stderr


def test_checkpoint_then_export_then_verify_against_the_export(app, tmp_path):
    write(app, 5)
    first = run(app, "checkpoint")
    assert first.exit_code == 0 and "已写入检查点：seq 5" in first.stdout
    write(app, 2)
    assert run(app, "checkpoint").exit_code == 0
    out = tmp_path / "checkpoints.jsonl"
    exported = run(app, "export-checkpoints", "--out", str(out))
    assert exported.exit_code == 0 and "已导出 2 个检查点" in exported.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["seq"] for line in lines] == [5, 7]
    assert set(lines[0]) == {"seq", "hash", "created_at", "key_id", "signature"}
    assert run(app, "verify").stdout.count("2 个检查点与日志一致") == 1

    # Someone with the database (not the key) rewrites the chain and drops the checkpoints:
    rewrite_from(app, 2, '{"reason": "改写"}')
    tamper(app, "DELETE FROM audit_checkpoint")
    assert run(app, "verify").exit_code == 0  # the database alone no longer tells
    result = run(app, "verify", "--checkpoints", str(out))
    assert result.exit_code == 1
    assert "导出文件中的检查点（seq 5）与日志不符：seq 1–5 之间的记录被改写" in result.stderr


def test_checkpoint_refuses_to_sign_a_broken_chain(app):
    write(app, 3)
    tamper(app, "UPDATE audit_event SET ip = '6.6.6.6' WHERE seq = 3")
    result = run(app, "checkpoint")
    assert result.exit_code != 0 and "未写入检查点" in result.stderr
    assert "第一条异常记录 seq 3" in result.stderr


def test_export_to_standard_output(app):
    run(app, "checkpoint")
    result = run(app, "export-checkpoints", "--out", "-")
    assert result.exit_code == 0
    assert json.loads(result.stdout.strip())["seq"] == 0


def test_a_malformed_checkpoint_file_is_named_by_line(app, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"seq": 1}\n')
    result = run(app, "verify", "--checkpoints", str(bad))
    assert result.exit_code != 0 and "第 1 行格式不正确" in result.stderr


def test_create_user_on_the_command_line_is_recorded(app):
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "--username",
            "admin",
            "--name",
            "张三",
            "--role",
            "system_admin",
            "--password",
            "Tz9!kLm#2wQp",
        ]
    )
    assert result.exit_code == 0, result.output
    (record,) = rows(app, event="admin.account.create")
    assert (record.account_id, record.role, record.request_id) == (None, "system", "cli")
    assert json.loads(record.detail) == {"username": "admin", "class": "system_admin"}
    assert "Tz9!kLm#2wQp" not in record.detail


def test_the_push_worker_signs_a_checkpoint_as_it_starts(app):
    from pwa.domain import audit_verify
    from pwa.extensions import db

    write(app, 2)
    result = app.test_cli_runner().invoke(args=["push-worker", "--once"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        (stored,) = audit_verify.stored_checkpoints(db.session)
    assert stored[1].seq == 2
    app.config["AUDIT_CHECKPOINT_SECONDS"] = 0  # cron does it instead
    app.test_cli_runner().invoke(args=["push-worker", "--once"])
    with app.app_context():
        assert len(audit_verify.stored_checkpoints(db.session)) == 1
