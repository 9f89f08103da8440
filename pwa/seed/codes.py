"""统一社会信用代码 (GB 32100-2015) and 文号 for synthetic units and documents."""

from __future__ import annotations

import re

# GB 32100 leaves out I, O, Z, S, V so a code survives being read aloud or handwritten.
CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUE = {c: i for i, c in enumerate(CREDIT_CHARS)}
_CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16 …
_CREDIT_SHAPE = re.compile(
    r"^[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{8}[0-9X][0-9A-HJ-NP-RTUW-Y]$"
)

# GB 11714-1997 组织机构代码: 8 body characters and a check character.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# 登记管理部门 1 = 机构编制; 机构类别 1 = 机关, 2 = 事业单位, 3 = 编办管理的群众团体.
REGISTRAR_ORGAN = "11"
REGISTRAR_INSTITUTION = "12"
REGISTRAR_MASS_ORGANIZATION = "13"


def org_code_check(body: str) -> str:
    """The GB 11714 check character for an 8-character organisation-code body."""
    if len(body) != 8:
        raise ValueError("组织机构代码本体需要 8 位")
    total = sum(int(c, 36) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def credit_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a credit code."""
    if len(first17) != 17:
        raise ValueError("需要 17 位")
    total = sum(_CREDIT_VALUE[c] * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARS[(31 - total % 31) % 31]


def make_credit_code(registrar: str, region_code: str, org_body: str) -> str:
    first17 = registrar + region_code + org_body + org_code_check(org_body)
    return first17 + credit_check_char(first17)


def is_valid_credit_code(code: str) -> bool:
    """Shape, the embedded organisation-code check and the final check character."""
    if not _CREDIT_SHAPE.match(code):
        return False
    if org_code_check(code[8:16]) != code[16]:
        return False
    return credit_check_char(code[:17]) == code[17]


class DocumentNumbers:
    """Issues 文号 like 张编〔2019〕15号: one running sequence per issuer and year."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, int], int] = {}

    def issue(self, issuer: str, year: int) -> str:
        key = (issuer, year)
        number = self._last.get(key, 0) + 1
        self._last[key] = number
        return f"{issuer}〔{year}〕{number}号"
