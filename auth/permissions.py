"""Every view declares who may call it; a test walks the URL map and fails on any that doesn't.

Deny by default: the access hook refuses (403) a view without a declaration, and the
meta-test catches it before it ships. Declarations are data on the view function; the
check itself lives in ``auth.access`` and runs before every request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from auth.roles import Permission

View = TypeVar("View", bound=Callable[..., object])

PUBLIC = "public"
PRE_AUTH = "pre_auth"  # the password step is done, the second factor is not (≤ 5 min)
ACCESS_ATTRIBUTE = "__access__"


def public(view: View) -> View:
    """Reachable without signing in (login, health, PWA plumbing)."""
    setattr(view, ACCESS_ATTRIBUTE, PUBLIC)
    return view


def pre_auth(view: View) -> View:
    """Only for a session that passed the password step: the code, pledge, enrolment."""
    setattr(view, ACCESS_ATTRIBUTE, PRE_AUTH)
    return view


def requires(permission: Permission) -> Callable[[View], View]:
    """Both factors done and a role that grants ``permission``."""

    def mark(view: View) -> View:
        setattr(view, ACCESS_ATTRIBUTE, permission)
        return view

    return mark


def requires_any(*permissions: Permission) -> Callable[[View], View]:
    """Both factors done and a role granting at least one of ``permissions`` (the view then
    narrows what it shows by the caller's remit)."""

    def mark(view: View) -> View:
        setattr(view, ACCESS_ATTRIBUTE, frozenset(permissions))
        return view

    return mark


signed_in = requires(Permission.SIGNED_IN)


def declared_access(view: Callable[..., object]) -> str | Permission | frozenset | None:
    return getattr(view, ACCESS_ATTRIBUTE, None)
