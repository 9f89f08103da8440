"""English for the bulk-access blocking strings (merged by ``pwa.translations.update_en``)."""

T = {
    "%(m)d 分钟内 %(w)d 人 · 当日 %(d)d 人": "%(w)d in %(m)d min · %(d)d today",
    "%(m)d 分钟内按编号连续查阅了 %(n)d 名人员（达到 %(limit)d 人即限制）": (
        "Read %(n)d people with consecutive ids in %(m)d min (limit: a run of %(limit)d)"
    ),
    "%(m)d 分钟内查阅了 %(n)d 名不同人员（上限 %(limit)d 人）": (
        "Read %(n)d different people in %(m)d min (limit %(limit)d)"
    ),
    "不能解除自己账户的限制": "You cannot lift a block on your own account",
    "人员信息访问已暂停": "Personnel access suspended",
    "人员信息访问限制": "Personnel access blocks",
    "已解除 %(username)s 的人员信息访问限制": "Personnel access of %(username)s restored",
    "当前没有被限制的账户。": "No account is blocked.",
    "当日查阅了 %(n)d 名不同人员（上限 %(limit)d 人）": (
        "Read %(n)d different people today (limit %(limit)d)"
    ),
    "您当前所在的网络不在您的角色允许访问的网段内（例如离开了单位内网），本次请求已被拒绝。"
    "请回到允许的网络后重试；如需调整，请联系安全管理员。": (
        "Your current network is not one your role may use (for example, you left the office "
        "network), so this request was refused. Try again from an allowed network; to change "
        "the allowed networks, contact the security administrator."
    ),
    "查看人员信息访问限制": "View personnel access blocks",
    "由于短时间内查阅的人员数量超过了安全限制（疑似批量获取），您账户的人员信息访问已被暂停，"
    "本次请求的内容未予显示。系统已通知安全管理员；须由安全管理员核实后解除限制。"
    "如因工作需要，请联系安全管理员。": (
        "You read more people in a short time than the security limit allows (possible bulk "
        "collection), so personnel access for your account has been suspended and this "
        "request was not shown. The security administrator has been told; only the security "
        "administrator can lift the block after checking. If you need it for your work, "
        "contact the security administrator."
    ),
    "短时间内查阅过多人员信息的账户会被自动暂停人员信息访问（%(m)d 分钟内超过 %(w)d 人、"
    "当日超过 %(d)d 人，或按编号连续查阅 %(r)d 人），直到安全管理员核实后解除。"
    "解除后该账户的计数重新开始。": (
        "An account that reads too many people in a short time has its personnel access "
        "suspended automatically (more than %(w)d in %(m)d min, more than %(d)d in a day, or "
        "%(r)d with consecutive ids) until a security administrator checks and lifts it. "
        "After lifting, the account's counts start afresh."
    ),
    "自 %(t)s 起：": "Since %(t)s: ",
    "解除理由": "Reason for lifting",
    "解除限制": "Lift block",
    "触发规则": "Rule triggered",
    "计数": "Counts",
    "该账户的人员信息访问当前未被限制（可能已由他人解除）": (
        "This account's personnel access is not blocked (someone may have lifted it already)"
    ),
    "请写明核实情况，例如已与本人及其负责人确认为正常工作需要。理由将记入审计日志。": (
        "Say what you checked, for example that the person and their manager confirmed it "
        "was normal work. The reason is recorded in the audit log."
    ),
    "请写明解除限制的理由": "Please give a reason for lifting the block",
    "账户 %(username)s 短时间内查阅人员信息过多，其人员信息访问已被暂停，请核实后处理。": (
        "Account %(username)s read too many people in a short time; its personnel access "
        "has been suspended. Please check and decide."
    ),
    "限制时间": "Blocked at",
}
