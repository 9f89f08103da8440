"""Templated prose: 主要职责 of units and 内设机构, and the titles of leadership posts."""

from __future__ import annotations

from pwa.models.enums import UnitKind, UnitNature

# Longest suffix first, so 卫生院 wins over 院 and 委员会 over 会.
_PRINCIPAL_BY_SUFFIX = (
    ("委员会机关", "秘书长"),
    ("委员会", "主任"),
    ("办公室", "主任"),
    ("保健院", "院长"),
    ("卫生院", "院长"),
    ("医院", "院长"),
    ("中学", "校长"),
    ("小学", "校长"),
    ("学校", "校长"),
    ("幼儿园", "园长"),
    ("中心", "主任"),
    ("林场", "场长"),
    ("局", "局长"),
    ("部", "部长"),
    ("站", "站长"),
    ("馆", "馆长"),
    ("队", "队长"),
    ("处", "主任"),
    ("院", "院长"),
    ("库", "主任"),
    ("宫", "主任"),
    ("会", "会长"),
)
_DEPARTMENT_TITLE_BY_SUFFIX = (
    ("办公室", "主任"),
    ("委员会", "主任"),
    ("大队", "大队长"),
    ("支队", "支队长"),
    ("中队", "中队长"),
    ("团委", "书记"),
    ("科", "科长"),
    ("股", "股长"),
    ("庭", "庭长"),
    ("局", "局长"),
    ("站", "站长"),
    ("所", "所长"),
    ("政治部", "主任"),
    ("处", "处长"),
    ("部", "部长"),
)
_DEPARTMENT_DUTIES = {
    "办公室": "负责日常运转，承担文电、会务、机要、档案、信息、安全保密、督查和财务等工作。",
    "政策法规": "负责规范性文件合法性审核、行政复议和应诉、法治宣传和行政执法监督工作。",
    "人事": "负责本单位和所属单位的干部人事、机构编制、教育培训和队伍建设工作。",
}
_STRIP_SUFFIXES = (
    "办公室",
    "委员会",
    "支队",
    "大队",
    "中队",
    "中心",
    "科",
    "股",
    "室",
    "处",
    "部",
    "庭",
    "局",
    "站",
    "所",
)


def principal_titles(full_name: str, override: tuple[str, str] | None) -> tuple[str, str]:
    """(正职, 副职) titles for a unit: from the template, else from its name's ending."""
    if override:
        return override
    for suffix, title in _PRINCIPAL_BY_SUFFIX:
        if full_name.endswith(suffix):
            return title, "副" + title
    return "主任", "副主任"


def department_titles(name: str, medical_or_school: bool) -> tuple[str, str]:
    if medical_or_school and name.endswith(("处", "部", "室", "科")):
        # 教务处主任, 护理部主任, 内科主任: hospitals and schools say 主任 throughout.
        return "主任", "副主任"
    for suffix, title in _DEPARTMENT_TITLE_BY_SUFFIX:
        if name.endswith(suffix):
            return title, "副" + title
    return "主任", "副主任"


def department_duties(name: str) -> str:
    for key, text in _DEPARTMENT_DUTIES.items():
        if name.startswith(key):
            return text
    stem = name
    for suffix in _STRIP_SUFFIXES:
        if stem.endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    return f"承担{stem}方面的具体工作，拟订相关制度并组织实施，完成领导交办的其他事项。"


def unit_functions(
    kind: UnitKind,
    nature: UnitNature,
    focus: str,
    scope: str,
    parent_short: str | None,
    school: str,
    street: bool = False,
) -> str:
    """主要职责 in the style of a 三定 规定 (organs) or 宗旨和业务范围 (institutions)."""
    whole = "全" + scope
    if kind is UnitKind.TOWNSHIP:
        local = "社区建设、城市管理" if street else "乡村振兴、农业农村"
        return (
            "（一）宣传贯彻党的路线方针政策和国家法律法规，落实上级党委、政府的决策部署。\n"
            f"（二）负责本辖区经济发展、{local}、社会事业和基层治理工作。\n"
            "（三）负责辖区平安建设、应急管理、生态环境保护和公共服务工作。\n"
            f"（四）完成{scope}委、{scope}政府交办的其他任务。"
        )
    if kind is not UnitKind.PUBLIC_INSTITUTION:
        return (
            f"（一）贯彻落实党中央关于{focus}工作的方针政策和决策部署，在履行职责过程中"
            f"坚持和加强党对{focus}工作的集中统一领导。\n"
            f"（二）研究拟订{whole}{focus}工作的发展规划和政策措施，并组织实施。\n"
            f"（三）负责{whole}{focus}工作的统筹协调、指导服务和监督检查。\n"
            f"（四）完成{scope}委、{scope}政府交办的其他任务。"
        )
    if school:
        return (
            f"宗旨和业务范围：实施{school}教育，促进基础教育发展。{school}学历教育，相关社会服务。"
        )
    if focus in ("医疗卫生", "中医医疗", "妇幼保健", "基本医疗和公共卫生服务"):
        return (
            "宗旨和业务范围：为人民身体健康提供医疗与护理保健服务。医疗与护理，医学教学，"
            "医学研究，卫生技术人员培训和继续教育，保健与健康教育。"
        )
    owner = f"承担{parent_short}交办的其他任务。" if parent_short else "完成交办的其他任务。"
    if nature is UnitNature.COMMERCIAL:
        return f"宗旨和业务范围：为经济社会发展提供{focus}服务。{focus}及相关技术咨询服务。{owner}"
    if nature is UnitNature.CIVIL_SERVICE_MANAGED:
        return (
            f"（一）承担{whole}{focus}的具体实施和经办工作。\n"
            f"（二）承担{focus}相关的事务性、辅助性工作。\n（三）{owner}"
        )
    return (
        f"宗旨和业务范围：为{focus}提供公益服务。（一）承担{whole}{focus}相关的技术性、"
        f"事务性和辅助性工作。（二）{owner}"
    )
