"""What a push may say. Every notification is one of a few categories with fixed, generic
text: the payload carries an opaque id, the category and a count — never a name, a unit or
a number of people. The in-app inbox stays the source of truth."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from auth.i18n import N_


class Category(StrEnum):
    TASK = "task"  # a new step awaits me (review, opinion, decision, a transfer to me)
    REMINDER = "reminder"  # 催办 on a step I hold
    DEADLINE = "deadline"  # a step I hold is due soon
    OUTCOME = "outcome"  # my own item was decided or returned for 补正
    SECURITY = "security"  # new-device sign-in, lockout; bulk-access blocks for the admin
    TEST = "test"  # the account page's "send a test notification"


@dataclass(frozen=True)
class Spec:
    label: str  # the preference's name on the account page
    explanation: str
    title: str
    body: str  # formatted with n = the coalesced count
    ttl: timedelta  # how long a push service should keep it for an offline phone
    urgency: str  # RFC 8030: very-low | low | normal | high
    # Security notices arrive whatever the preferences say, quiet hours included.
    always_on: bool = False


SPECS: dict[Category, Spec] = {
    Category.TASK: Spec(
        N_("新待办"),
        N_("有事项等待您审核、出具意见或签批时"),
        N_("编办移动办公"),
        N_("您有 %(n)d 项新的待办"),
        timedelta(hours=24),
        "normal",
    ),
    Category.REMINDER: Spec(
        N_("催办"),
        N_("有人催办您手中的待办时"),
        N_("编办移动办公"),
        N_("您有 %(n)d 项待办被催办"),
        timedelta(hours=24),
        "normal",
    ),
    Category.DEADLINE: Spec(
        N_("即将到期"),
        N_("您手中的待办明天到期时（每天提醒一次）"),
        N_("编办移动办公"),
        N_("您有 %(n)d 项待办即将到期"),
        timedelta(hours=12),
        "normal",
    ),
    Category.OUTCOME: Spec(
        N_("我的事项"),
        N_("您申报的事项办结或被退回补正时"),
        N_("编办移动办公"),
        N_("您申报的 %(n)d 项事项有新进展"),
        timedelta(days=3),
        "low",
    ),
    Category.SECURITY: Spec(
        N_("安全提醒"),
        N_("账户在新设备登录或被锁定时（安全管理员还会收到其他账户被锁定的提醒）；不能关闭"),
        N_("编办移动办公 · 安全提醒"),
        N_("您有 %(n)d 条新的安全提醒"),
        timedelta(hours=6),
        "high",
        always_on=True,
    ),
    Category.TEST: Spec(
        N_("测试通知"),
        N_("在本页点击“发送测试通知”时"),
        N_("编办移动办公"),
        N_("测试通知：本设备可以收到提醒"),
        timedelta(minutes=10),
        "normal",
        always_on=True,
    ),
}

# The categories a person may switch off on the account page.
OPTIONAL = tuple(c for c, spec in SPECS.items() if not spec.always_on)
