"""What an item step refuses with: a user-facing message (a msgid) and the HTTP status the
web layer answers with."""

from __future__ import annotations

from auth.i18n import N_, UserFacingError

from . import checks as item_checks


class EffectRefused(UserFacingError):
    """The approval would break an invariant as the data stands now; nothing was written."""


class ItemError(UserFacingError):
    status = 400


class ItemNotFound(ItemError):
    status = 404

    def __init__(self) -> None:
        super().__init__(N_("事项不存在或不在您的权限范围内"))


class NotAllowed(ItemError):
    status = 403


class ItemConflict(ItemError):
    """Someone else changed or decided the item first."""

    status = 409


class ChecksFailed(ItemError):
    status = 409

    def __init__(self, failures: list[item_checks.Check]) -> None:
        super().__init__(N_("自动校验未通过，不能批准"))
        self.failures = failures
