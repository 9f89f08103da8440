"""What to tell a person about a login outcome: one place, so every step words it alike."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from auth.i18n import N_
from auth.login import Outcome, Result

BEIJING = ZoneInfo("Asia/Shanghai")

BAD_CREDENTIALS = N_("用户名或密码不正确")
DISABLED = N_("该账户已停用，请联系系统管理员")
LOCKED = N_("尝试次数过多，已暂时锁定，请于 %(time)s 后再试，或联系安全管理员解锁")

_CODE_FAILURES = {
    Outcome.MALFORMED: N_("请输入验证器应用中显示的 6 位数字动态码"),
    Outcome.WRONG_CODE: N_("动态码不正确，请输入验证器应用中当前显示的 6 位动态码"),
    Outcome.EXPIRED_CODE: N_("动态码已过期，请输入验证器应用中当前显示的新动态码"),
    Outcome.REUSED_CODE: N_("此动态码已使用过，请等待验证器显示新的动态码后再输入"),
    Outcome.NOT_ENROLLED: N_("尚未绑定验证器"),
}
WRONG_RECOVERY_CODE = N_("恢复码不正确或已使用过")


def unlock_time(until: datetime | None) -> str:
    return until.astimezone(BEIJING).strftime("%H:%M") if until else "--:--"


def failure(result: Result) -> tuple[str, dict[str, str]]:
    """(msgid, params) for any failed outcome."""
    if result.outcome is Outcome.LOCKED:
        return LOCKED, {"time": unlock_time(result.locked_until)}
    if result.outcome is Outcome.BAD_CREDENTIALS:
        return BAD_CREDENTIALS, {}
    if result.outcome is Outcome.DISABLED:
        return DISABLED, {}
    return _CODE_FAILURES.get(result.outcome, _CODE_FAILURES[Outcome.WRONG_CODE]), {}
