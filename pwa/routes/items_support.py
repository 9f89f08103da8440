"""What the item blueprints share: the acting participant, the service context, and turning
the item services' errors into pages."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import abort, current_app

from auth.access import current
from auth.roles import Permission
from auth.web import translate
from pwa import clock
from pwa.audit_log import actor
from pwa.domain.items import effects, service
from pwa.domain.items.routing import WorkflowPolicy
from pwa.extensions import secrets

# Whoever takes part in items: applicants, the office, joint reviewers and deciders.
ITEM_PERMISSIONS = (
    Permission.SUBMIT_ITEMS,
    Permission.REVIEW_ITEMS,
    Permission.DECIDE_ITEMS,
    Permission.JOINT_REVIEW,
)


def participant() -> service.Participant:
    identity = current()
    return service.Participant(identity.account.id, identity.roles, identity.scope)


def context() -> service.Context:
    policy = current_app.config.get("WORKFLOW_POLICY") or WorkflowPolicy()
    return service.Context(
        clock=service.Clock(clock.now(), clock.today()),
        keys=effects.Keys(secrets.cipher, secrets.blind_index),
        policy=policy,
        actor=actor(),
        zone=ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]),
    )


def message_of(error: service.ItemError) -> str:
    return translate(error)


def abort_for(error: service.ItemError) -> None:
    """404 for anything not visible (like a missing item); other errors are shown in place."""
    if isinstance(error, service.ItemNotFound):
        abort(404)
