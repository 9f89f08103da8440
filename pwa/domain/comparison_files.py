"""数据比对's files: reading pasted lines, CSV and .xlsx into rows, and writing the answer
back as the same rows plus an answer column. Nothing here looks anything up."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from auth.i18n import N_, UserFacingError

if TYPE_CHECKING:
    from .comparison import Answer, ComparisonPolicy, Outcome

ID_CONTEXT_MAX = 32  # characters of a cell we look at (the rest is junk)


class ComparisonError(UserFacingError):
    """The request cannot be answered as it stands; nothing was looked up."""


@dataclass(frozen=True)
class Row:
    line: int  # as the person counts them: the line or spreadsheet row
    id_number: str  # as given (normalised only to compare)
    name: str = ""
    extra: tuple[str, ...] = ()  # any further columns, returned unchanged in the download


# --- reading what people give us ----------------------------------------------------------

HEADER_WORDS = ("身份证", "证件", "证号", "号码", "id", "ID")


def _looks_like_header(cells: list[str]) -> bool:
    first = (cells[0] if cells else "").strip()
    return any(word in first for word in HEADER_WORDS) and not any(c.isdigit() for c in first)


def _rows_from_cells(table: Iterable[tuple[int, list[str]]], limit: int) -> list[Row]:
    rows: list[Row] = []
    for position, (line, cells) in enumerate(table):
        cells = [c.strip() for c in cells]
        while cells and not cells[-1]:
            cells.pop()  # spreadsheets pad rows with empty cells
        if not cells:
            continue
        if position == 0 and _looks_like_header(cells):
            continue
        if len(rows) >= limit:
            raise ComparisonError(
                N_("一次最多比对 %(n)d 行：请分批提交，或引用已批准的数据查询签批"), n=limit
            )
        rows.append(
            Row(
                line,
                cells[0][:ID_CONTEXT_MAX],
                (cells[1] if len(cells) > 1 else "")[:32],
                tuple(cells[2:8]),
            )
        )
    if not rows:
        raise ComparisonError(N_("没有找到要比对的身份证号：每行一个，可在号码后加逗号和姓名"))
    return rows


def parse_text(text: str, limit: int) -> list[Row]:
    """Pasted lines: an ID number, optionally followed by a comma, tab or space and a name."""

    def cells(line: str) -> list[str]:
        for separator in ("\t", ",", "，", "、", ";", "；"):
            if separator in line:
                return line.split(separator)
        return line.split(maxsplit=1) if " " in line.strip() else [line]

    return _rows_from_cells(
        ((n, cells(line)) for n, line in enumerate(text.splitlines(), start=1)), limit
    )


def parse_csv(data: bytes, limit: int) -> list[Row]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ComparisonError(N_("无法读取 CSV 文件：请保存为 UTF-8 或 GB18030 编码"))
    reader = csv.reader(io.StringIO(text))
    try:
        return _rows_from_cells(((n, row) for n, row in enumerate(reader, start=1)), limit)
    except csv.Error:
        raise ComparisonError(N_("CSV 文件格式不正确")) from None


def parse_xlsx(data: bytes, limit: int) -> list[Row]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable workbook gets the same clear answer
        raise ComparisonError(
            N_("无法读取 Excel 文件：请上传 .xlsx 格式（Excel 2007 及以上）")
        ) from None
    try:
        sheet = book.worksheets[0]

        def table() -> Iterable[tuple[int, list[str]]]:
            for n, values in enumerate(sheet.iter_rows(values_only=True, max_col=8), start=1):
                cells = []
                for value in values:
                    if isinstance(value, float | int) and not isinstance(value, bool):
                        # 18 digits do not survive as a spreadsheet number (15 significant).
                        raise ComparisonError(
                            N_(
                                "第 %(line)d 行的身份证号是数字格式，会丢失末几位：请把该列设为“文本”后重新填写"  # noqa: E501 - one msgid
                            ),
                            line=n,
                        )
                    cells.append("" if value is None else str(value))
                yield n, cells

        return _rows_from_cells(table(), limit)
    finally:
        book.close()


def read_upload(filename: str, data: bytes, limit: int, policy: ComparisonPolicy) -> list[Row]:
    if len(data) > policy.max_upload_bytes:
        raise ComparisonError(N_("文件太大：比对文件不能超过 1 MB"))
    lowered = (filename or "").lower()
    if lowered.endswith(".xlsx"):
        return parse_xlsx(data, limit)
    if lowered.endswith((".csv", ".txt")):
        return parse_csv(data, limit)
    raise ComparisonError(N_("只能上传 .csv、.txt 或 .xlsx 文件"))


# --- the answer as a file ------------------------------------------------------------------------


def as_csv(outcome: Outcome, labels: dict[Answer, str], headers: list[str]) -> bytes:
    """The same rows plus the answer column; UTF-8 with a BOM so Excel opens it right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row, answer in outcome.rows:
        writer.writerow([row.id_number, row.name, *row.extra, labels[answer]])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_xlsx(outcome: Outcome, labels: dict[Answer, str], headers: list[str]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(headers)
    for row, answer in outcome.rows:
        sheet.append([row.id_number, row.name, *row.extra, labels[answer]])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
