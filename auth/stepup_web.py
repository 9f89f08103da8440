"""``require_fresh_totp``: the step-up mechanism as the web layer uses it.

GET handlers call ``new_challenge(action, bound_to)`` and render the returned form; the POST
handler is decorated with ``require_fresh_totp(action, bound_to=...)`` where ``bound_to``
computes, from the view arguments, what would be signed *now* (e.g. item id + version
hash). A mismatch with what was displayed answers 409; a wrong code lets the view show the
form again (``g.step_up_ok`` False, ``g.step_up_error`` the message). Views that must
validate other fields first call ``verify_fresh_totp`` themselves.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import abort, g, session

from auth import stepup
from auth.access import current
from auth.forms import StepUpForm
from auth.models import Account
from auth.web import throttle_policy, translate
from pwa import audit_log, clock
from pwa.extensions import db, secrets


def new_challenge(action: str, bound_to: str) -> StepUpForm:
    with db.write() as s:
        challenge = stepup.issue(s, current().account, action, bound_to, clock.now())
    form = StepUpForm()
    form.challenge.data = challenge.id
    return form


def verify_fresh_totp(action: str, bound_to: str, challenge_id: str, code: str) -> str | None:
    """Spend the challenge with the code: None when verified, else the message to show.
    Answers 409 when what was displayed is no longer what ``bound_to`` describes."""
    error: stepup.StepUpError | None = None
    # The failure counters must commit even when the code is refused: catch inside.
    with db.write() as s:
        account = s.get(Account, current().account.id)
        try:
            stepup.redeem(
                s,
                account,
                challenge_id=challenge_id or "",
                action=action,
                bound_to=bound_to,
                code=code or "",
                cipher=secrets.cipher,
                now=clock.now(),
                policy=throttle_policy(),
                via_recovery_code=session.via_recovery_code,
            )
        except stepup.StepUpError as refused:
            error = refused
            _audit_refusal(s, refused, action, bound_to)
    if isinstance(error, stepup.StaleBinding):
        abort(409)
    return translate(error) if error is not None else None


def _audit_refusal(s, refused: stepup.StepUpError, action: str, bound_to: str) -> None:
    """A refused step-up: a wrong, expired or replayed code (and a lockout it caused), a
    recovery-code session, a stale page. Written with the failure counters."""
    result = refused.result
    if result is not None:
        outcome = result.outcome.value
    else:
        outcome = "stale" if isinstance(refused, stepup.StaleBinding) else "refused"
    detail = {"action": action, "bound_to": bound_to}
    audit_log.record(s, "auth.stepup", outcome=outcome, detail=detail)
    if result is not None and result.locked_now:
        until = result.locked_until.isoformat() if result.locked_until else ""
        audit_log.record(
            s,
            "auth.lockout",
            outcome="locked",
            object_type="account",
            object_id=current().account.id,
            detail={"factor": "code", "until": until, "action": action},
        )


def require_fresh_totp(action: str, bound_to: Callable[..., str]) -> Callable:
    """Run the view after checking a fresh TOTP code for ``action`` on ``bound_to(**kwargs)``;
    the view reads ``g.step_up_ok`` and ``g.step_up_error``."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            form = StepUpForm()
            g.step_up_ok, g.step_up_error = False, None
            if not form.validate_on_submit():
                g.step_up_error = next(iter(form.errors.values()))[0] if form.errors else None
                return view(*args, **kwargs)
            g.step_up_error = verify_fresh_totp(
                action, bound_to(**kwargs), form.challenge.data, form.code.data
            )
            g.step_up_ok = g.step_up_error is None
            return view(*args, **kwargs)

        return wrapper

    return decorate
