"""English for the audit log's pages and events (issue 8, audit part).

Merge after ``make translations-update``:
``python -m pwa.translations.update_en pwa/translations/pending_audit.py``
"""

T = {
    # The chain's state
    "日志完整性": "Log integrity",
    "完好": "Intact",
    "发现异常": "Tampering found",
    "%(n)d 个检查点与日志一致；最近检查点之后的 %(count)d 条记录已逐条核验，至 seq %(last)d。": (
        "%(n)d checkpoints match the log; the %(count)d records after the latest checkpoint "
        "were checked one by one, up to seq %(last)d."
    ),
    "全部 %(count)d 条记录已逐条核验，至 seq %(last)d。": (
        "All %(count)d records were checked one by one, up to seq %(last)d."
    ),
    "第一条异常记录 seq %(seq)d（编号 %(id)s）：其前的 seq %(a)d–%(b)d 缺失，记录被删除": (
        "First broken record: seq %(seq)d (id %(id)s): seq %(a)d–%(b)d before it are missing "
        "(records deleted)"
    ),
    "第一条异常记录 seq %(seq)d（编号 %(id)s）：前序哈希与上一条记录不符，记录被替换": (
        "First broken record: seq %(seq)d (id %(id)s): its previous hash does not match the "
        "record before it (a record was replaced)"
    ),
    "第一条异常记录 seq %(seq)d（编号 %(id)s）：内容与哈希不符，记录被修改": (
        "First broken record: seq %(seq)d (id %(id)s): its content does not match its hash "
        "(the record was edited)"
    ),
    "seq %(seq)d 的检查点签名无效：检查点被伪造或修改": (
        "The checkpoint at seq %(seq)d has an invalid signature: it was forged or altered"
    ),
    "seq %(seq)d 的检查点不是用当前密钥签名的": (
        "The checkpoint at seq %(seq)d was not signed with the current key"
    ),
    "seq %(seq)d 的检查点与日志不符：seq %(since)d–%(seq)d 之间的记录被改写": (
        "The checkpoint at seq %(seq)d does not match the log: records seq %(since)d–%(seq)d "
        "were rewritten"
    ),
    "seq %(seq)d 的检查点晚于日志末尾：seq %(since)d 起的记录被删除": (
        "The checkpoint at seq %(seq)d lies beyond the end of the log: records from "
        "seq %(since)d on were deleted"
    ),
    "最近检查点": "Latest checkpoint",
    "尚无检查点": "No checkpoint yet",
    "签名有效": "signature valid",
    "签名无效": "signature invalid",
    "保留期限": "Retention",
    "不少于 %(n)d 天；本系统不删除审计记录": (
        "at least %(n)d days; this system never deletes audit records"
    ),
    "此处核对全部检查点、序号是否连续和最近检查点之后的记录。逐条核验全部记录请运行 flask --app pwa audit verify。": (  # noqa: E501 - one msgid
        "This checks every checkpoint, that no seq is missing and the records after the "
        "latest checkpoint. To check every record run flask --app pwa audit verify."
    ),
    # The pages
    "审计日志": "Audit log",
    "账户审计记录": "Account audit trail",
    "返回审计日志": "Back to the audit log",
    "列出此账户所做的操作，以及针对此账户的登录尝试和管理操作。": (
        "Lists what this account did, and the sign-in attempts and administrative actions "
        "concerning it."
    ),
    "账户类别": "Account class",
    "账户已停用": "Account disabled",
    "第 %(page)d 页，每页 %(n)d 条，最新的在前": "Page %(page)d, %(n)d a page, newest first",
    "没有符合条件的审计记录。": "No audit records match.",
    "没有用户名为“%(name)s”的账户。": "There is no account with the username “%(name)s”.",
    "较新的记录": "Newer records",
    "较早的记录": "Older records",
    "时间": "Time",
    "账户": "Account",
    "对象": "Object",
    "事件代码": "Event code",
    "详情": "Detail",
    "序号": "Seq",
    # The filters
    "事件": "Event",
    "事件代码的开头，如 auth.login 或 personnel": (
        "The start of the event code, e.g. auth.login or personnel"
    ),
    "事件最多 64 个字符": "An event has at most 64 characters",
    "用户名最多 64 个字符": "A username has at most 64 characters",
    "对象类型": "Object type",
    "对象编号": "Object id",
    "编号最多 64 个字符": "An id has at most 64 characters",
    "起始日期": "From",
    "截止日期": "To",
    "截止日期不能早于起始日期": "The end date cannot be before the start date",
    # Objects
    "事项附件": "Item attachment",
    "委托": "Delegation",
    "页面": "Page",
    # Events
    "登录：密码": "Sign-in: password",
    "登录：动态码": "Sign-in: one-time code",
    "登录：恢复码": "Sign-in: recovery code",
    "登录：绑定验证器": "Sign-in: authenticator enrolment",
    "账户被锁定": "Account locked",
    "敏感操作验证未通过": "Step-up verification failed",
    "签署保密承诺": "Confidentiality pledge signed",
    "拒绝访问": "Access denied",
    "结束设备会话": "Device session ended",
    "创建账户": "Account created",
    "解锁账户": "Account unlocked",
    "变更角色与管辖范围": "Roles and jurisdiction changed",
    "授予角色": "Role granted",
    "撤销角色": "Role revoked",
    "变更管辖范围": "Jurisdiction changed",
    "添加访问网段": "Network range added",
    "删除访问网段": "Network range removed",
    "查看在编人员名单": "Establishment list viewed",
    "查看人员信息": "Person viewed",
    "申报时按身份证号查找人员": "Person looked up by ID number in a declaration",
    "下载事项附件": "Item attachment downloaded",
    "签批决定": "Decision signed",
    "事项办理": "Item step",
    "查阅审计日志": "Audit log searched",
    "查阅账户审计记录": "Account audit trail viewed",
    # Outcomes
    "成功": "Succeeded",
    "用户名或密码错误": "Wrong username or password",
    "动态码格式错误": "Malformed code",
    "动态码错误": "Wrong code",
    "动态码已过期": "Expired code",
    "动态码重复使用": "Code replayed",
    "拒绝": "Denied",
    "未执行": "Not done",
    "冲突": "Conflict",
    "找到": "Found",
    "未找到": "Not found",
    "号码无效": "Invalid number",
    "当前密码错误": "Wrong current password",
}
