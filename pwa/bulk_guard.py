"""The web side of bulk-access blocking: every personnel page asks here before it shows
anyone (``pwa.domain.bulk_access`` counts), and a blocked account gets a 403 that says why."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import abort, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import Forbidden

from auth import security_events
from auth.access import NetworkRefused, Principal, current, ip_permitted
from auth.network import client_ip
from pwa import clock
from pwa.audit_log import actor, record_or_refuse
from pwa.domain import audit, bulk_access
from pwa.extensions import db

BULK_BLOCKED = "bulk_blocked"  # the security notice kind


class PersonnelBlocked(Forbidden):
    """403 with a message of its own (see ``pwa.errors``)."""

    user_message = _l(
        "由于短时间内查阅的人员数量超过了安全限制（疑似批量获取），您账户的人员信息访问已被"
        "暂停，本次请求的内容未予显示。系统已通知安全管理员；须由安全管理员核实后解除限制。"
        "如因工作需要，请联系安全管理员。"
    )


def check_personnel_request() -> None:
    """Before every personnel page: the caller's network must be allowed for each of their
    roles (a session that moved networks is refused), and the account must not be blocked."""
    account = current().account
    if account is None:
        return  # enforce_access has already sent the visitor to sign in
    if not ip_permitted(account, client_ip()):
        raise NetworkRefused()
    if bulk_access.block_of(db.session, account.id) is not None:
        record_or_refuse("personnel.refused", outcome="blocked")
        raise PersonnelBlocked()


def admit_or_refuse(
    person_ids: Iterable[int], *, direct: bool, event: str | None = None, **fields: Any
) -> None:
    """Count the persons about to be shown and write the read's audit record, in one
    transaction. A read that crosses a limit blocks the account, is audited, alerts the
    security administrators and is refused (403): nothing is shown."""
    identity = current()
    account = identity.account
    now = clock.now()
    ids = sorted(set(person_ids))
    try:
        verdict = _admit(account, ids, direct, now, event, fields)
    except SQLAlchemyError:
        abort(503)  # neither counted nor audited: show nothing (fail closed)
    if not verdict.allowed:
        raise PersonnelBlocked()


def _admit(
    account: Principal,
    ids: list[int],
    direct: bool,
    now: datetime,
    event: str | None,
    fields: dict[str, Any],
) -> bulk_access.Verdict:
    policy: bulk_access.BulkAccessPolicy = current_app.config["BULK_ACCESS_POLICY"]
    with db.write() as session:
        verdict = bulk_access.admit(session, account.id, ids, direct=direct, now=now, policy=policy)
        if verdict.allowed:
            if event is not None:
                audit.record(session, actor(), event, now=now, **fields)
        elif verdict.newly_blocked:
            audit.record(
                session,
                actor(),
                "personnel.blocked",
                now=now,
                outcome="blocked",
                object_type="account",
                object_id=account.id,
                detail={
                    "rule": verdict.rule,
                    "window_count": verdict.window_count,
                    "day_count": verdict.day_count,
                    "run_length": verdict.run_length,
                    "refused": event or "personnel.read",
                    "persons": len(ids),
                },
            )
            security_events.alert_security_admins(
                session, BULK_BLOCKED, subject=account.username, now=now
            )
        else:
            audit.record(
                session,
                actor(),
                event or "personnel.read",
                now=now,
                outcome="blocked",
                **{k: v for k, v in fields.items() if k != "outcome"},
            )
    return verdict
