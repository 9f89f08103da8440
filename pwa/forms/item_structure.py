"""申报事项 forms for a unit's structure: 机构设立/调整/撤销, 编制调整, 职数核定."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from pwa.domain.items import payloads as p
from pwa.forms.item_base import (
    ChoiceField,
    ItemForm,
    NumberField,
    _count,
    _reason,
    _text,
    between,
)
from pwa.models import (
    Funding,
    LeadershipLevel,
    LeadershipPosition,
    QuotaKind,
    UnitKind,
    UnitNature,
    UnitRank,
)


class UnitEstablishForm(ItemForm):
    payload_class = p.UnitEstablish

    full_name = _text(
        _l("机构全称"),
        128,
        _l("机构全称请写 2 到 128 个字"),
        required=_l("请填写机构全称"),
        min_length=2,
    )
    short_name = _text(
        _l("规范简称"),
        64,
        _l("规范简称请写 2 到 64 个字"),
        required=_l("请填写规范简称"),
        min_length=2,
    )
    kind = ChoiceField(_l("机构类别"), enum=UnitKind, message=_l("请选择机构类别"))
    nature = ChoiceField(_l("机构性质"), enum=UnitNature, message=_l("请选择机构性质"))
    rank = ChoiceField(_l("机构规格"), enum=UnitRank, message=_l("请选择机构规格"))
    funding = ChoiceField(_l("经费形式"), enum=Funding, message=_l("请选择经费形式"))
    functions = _text(
        _l("主要职责"),
        2000,
        _l("主要职责请写 4 到 2000 个字"),
        required=_l("请填写主要职责"),
        min_length=4,
        area=True,
    )
    quota_kind = ChoiceField(_l("核定编制类型"), enum=QuotaKind, message=_l("请选择编制类型"))
    quota_count = _count(
        _l("核定编制数"),
        0,
        999,
        _l("核定编制数请填写 0 到 999 之间的整数"),
        description=_l("0 表示暂不核定编制"),
    )
    reason = _reason(_l("设立理由"), _l("请填写设立理由"), _l("设立理由请写 4 到 500 个字"))


class UnitAdjustForm(ItemForm):
    payload_class = p.UnitAdjust

    full_name = _text(
        _l("新的机构全称"),
        128,
        _l("机构全称请写 2 到 128 个字"),
        min_length=2,
        description=_l("不改名称请留空"),
    )
    short_name = _text(
        _l("新的规范简称"),
        64,
        _l("规范简称请写 2 到 64 个字"),
        min_length=2,
        description=_l("不改简称请留空"),
    )
    rank = ChoiceField(
        _l("新的机构规格"),
        enum=UnitRank,
        message=_l("请选择机构规格"),
        blank=_l("不调整"),
        optional=True,
    )
    functions = _text(
        _l("调整后的主要职责"),
        2000,
        _l("主要职责请写 4 到 2000 个字"),
        min_length=4,
        area=True,
        description=_l("不改职责请留空"),
    )
    reason = _reason(_l("调整理由"), _l("请填写调整理由"), _l("调整理由请写 4 到 500 个字"))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        changes = (self.full_name.data, self.short_name.data, self.rank.data, self.functions.data)
        if valid and not any(changes):
            self.full_name.errors.append(str(_l("请至少填写一项调整内容：名称、简称、规格或职责")))
            return False
        return valid


class UnitAbolishForm(ItemForm):
    payload_class = p.UnitAbolish

    reason = _reason(_l("撤销理由"), _l("请填写撤销理由"), _l("撤销理由请写 4 到 500 个字"))


class QuotaAdjustForm(ItemForm):
    payload_class = p.QuotaAdjust

    kind = ChoiceField(_l("编制类型"), enum=QuotaKind, message=_l("请选择编制类型"))
    funding = ChoiceField(_l("经费形式"), enum=Funding, message=_l("请选择经费形式"))
    delta = NumberField(
        _l("调整数量"),
        validators=[
            between(
                -999,
                999,
                _l("调整数量请填写 -999 到 999 之间、不为 0 的整数"),
                nonzero=True,
            )
        ],
        description=_l("核增填正数，核减填负数，如 -2"),
    )
    reason = _reason(_l("调整理由"), _l("请填写调整理由"), _l("调整理由请写 4 到 500 个字"))


class LeadershipPostsForm(ItemForm):
    payload_class = p.LeadershipPosts

    level = ChoiceField(_l("职务层次"), enum=LeadershipLevel, message=_l("请选择职务层次"))
    position = ChoiceField(
        _l("正职或副职"), enum=LeadershipPosition, message=_l("请选择正职或副职")
    )
    title = _text(
        _l("职务名称"),
        32,
        _l("职务名称请写 1 到 32 个字"),
        required=_l("请填写职务名称，如“副局长”"),
    )
    approved = _count(_l("核定职数"), 0, 999, _l("核定职数请填写 0 到 999 之间的整数"))
    reason = _reason(_l("核定理由"), _l("请填写核定理由"), _l("核定理由请写 4 到 500 个字"))
