"""Item services: every change to an item goes through one of these functions.

Each runs inside the caller's write transaction, locks the item row first (``FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers), checks who may act,
moves the state through ``workflow.advance`` and writes the history, so the state change,
its effects and its records commit together or not at all.

This module is the one entry point callers import; the services live by who acts:

- ``context`` and ``errors``: who acts and with what, and what a step refuses with;
- ``reading``: loading an item for someone who may see it, who may act on its steps;
- ``applicant``: declaring, editing, submitting, withdrawing, attaching files;
- ``review``: the office's intake and review, and the joint reviewers' opinions;
- ``decisions``: the decision and what follows it (撤销, 办结, lapsed reservations);
- ``inbox_verbs``: 催办 and 转交; ``delegation``: 委托;
- ``steps``: what every step does when it writes (state, tasks, history).
"""

from __future__ import annotations

from pwa.models import ItemState, TaskStage, Verdict
from pwa.models.item import Item

from .applicant import Draft, attach, create, may_declare, submit, update, withdraw
from .context import (
    DECIDER_ROLES,
    DELEGATING_ROLES,
    JOINT_ROLES,
    OFFICE_ROLES,
    Clock,
    Context,
    Participant,
)
from .decisions import Outcome, complete, decide, expire_reservations, revoke
from .delegation import active_delegators, delegate, end_delegation
from .errors import ChecksFailed, ItemConflict, ItemError, ItemNotFound, NotAllowed
from .inbox_verbs import colleagues_for, transfer, urge
from .reading import _load as _load  # tests read an item without the visibility check
from .reading import (
    acting_for,
    can_see,
    checks_for,
    decision_refusal,
    get_visible,
    joint_route,
    my_open_task,
    payload_of,
    version_hash,
)
from .review import (
    accept,
    begin_review,
    forward,
    give_opinion,
    refuse_intake,
    return_for_correction,
)
from .steps import guard_text, open_tasks

S = ItemState

__all__ = [
    # who acts, and what a step refuses with
    "DECIDER_ROLES",
    "DELEGATING_ROLES",
    "JOINT_ROLES",
    "OFFICE_ROLES",
    "ChecksFailed",
    "Clock",
    "Context",
    "ItemConflict",
    "ItemError",
    "ItemNotFound",
    "NotAllowed",
    "Participant",
    # reading
    "acting_for",
    "can_see",
    "checks_for",
    "decision_refusal",
    "get_visible",
    "guard_text",
    "joint_route",
    "my_open_task",
    "open_tasks",
    "payload_of",
    "version_hash",
    # the applicant
    "Draft",
    "attach",
    "create",
    "may_declare",
    "submit",
    "update",
    "withdraw",
    # the office and the joint reviewers
    "accept",
    "begin_review",
    "forward",
    "give_opinion",
    "refuse_intake",
    "return_for_correction",
    # decisions
    "Outcome",
    "complete",
    "decide",
    "expire_reservations",
    "revoke",
    # the inbox verbs and 委托
    "active_delegators",
    "colleagues_for",
    "delegate",
    "end_delegation",
    "transfer",
    "urge",
    # the model names callers reach through this module
    "Item",
    "S",
    "TaskStage",
    "Verdict",
]
