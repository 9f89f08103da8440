"""Attachments: judged by their bytes, stored once by their SHA-256, named safely."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile

import pytest

from auth.i18n import UserFacingError
from pwa.domain import attachments
from pwa.domain.attachments import (
    DOCX,
    JPEG,
    OFD,
    PDF,
    PNG,
    UNSUPPORTED,
    XLSX,
    AttachmentRejected,
    AttachmentStore,
    StoredFile,
    detect_type,
    sanitize_filename,
)


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, b"<x/>")
    return buffer.getvalue()


PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(20)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(20) + b"\xff\xd9"
OFD_BYTES = _zip("OFD.xml", "Doc_0/Document.xml", "Doc_0/Pages/Page_0/Content.xml")
DOCX_BYTES = _zip("[Content_Types].xml", "_rels/.rels", "word/document.xml")
XLSX_BYTES = _zip("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml")


@pytest.fixture
def store(tmp_path):
    return AttachmentStore(tmp_path / "attachments")


def _files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


# -- what is accepted -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "declared", "content_type", "filename"),
    [
        (PDF_BYTES, "请示.pdf", PDF, "请示.pdf"),
        (PNG_BYTES, "扫描件.png", PNG, "扫描件.png"),
        (JPEG_BYTES, "照片.JPEG", JPEG, "照片.JPEG"),
        (JPEG_BYTES, "照片.jpg", JPEG, "照片.jpg"),
        (OFD_BYTES, "批复.ofd", OFD, "批复.ofd"),
        (DOCX_BYTES, "方案.docx", DOCX, "方案.docx"),
        (XLSX_BYTES, "编制表.xlsx", XLSX, "编制表.xlsx"),
    ],
    ids=["pdf", "png", "jpeg", "jpg", "ofd", "docx", "xlsx"],
)
def test_accepted_kinds_are_stored_with_their_type(store, data, declared, content_type, filename):
    stored = store.save(data, declared)
    digest = hashlib.sha256(data).hexdigest()
    assert stored == StoredFile(digest, len(data), content_type, filename)
    assert store.open(digest) == data
    assert (store.root / digest[:2] / digest[2:4] / digest).read_bytes() == data


def test_the_type_comes_from_the_bytes_not_the_name(store):
    assert store.save(PDF_BYTES, "scan.png").content_type == PDF
    assert store.save(PNG_BYTES, "report.pdf").content_type == PNG
    assert store.save(DOCX_BYTES, "表格.xlsx").content_type == DOCX


def test_a_name_that_contradicts_the_type_gets_the_right_extension(store):
    assert store.save(PDF_BYTES, "invoice.exe").filename == "invoice.exe.pdf"
    assert store.save(PNG_BYTES, "扫描件").filename == "扫描件.png"
    assert store.save(XLSX_BYTES, "").filename == "附件.xlsx"


def test_ofd_wins_over_office_markers_and_word_over_excel():
    assert detect_type(_zip("OFD.xml", "[Content_Types].xml", "word/document.xml")) == OFD
    assert detect_type(_zip("[Content_Types].xml", "word/a.xml", "xl/b.xml")) == DOCX


# -- what is refused ------------------------------------------------------------------------


def test_an_empty_file_is_refused(store):
    with pytest.raises(AttachmentRejected) as caught:
        store.save(b"", "空.pdf")
    assert isinstance(caught.value, UserFacingError)
    assert caught.value.msgid == "文件为空，请重新选择"
    assert not store.root.exists() or not _files(store.root)


def test_a_file_over_the_limit_is_refused_with_the_limit_in_mb(tmp_path):
    store = AttachmentStore(tmp_path, max_bytes=1024 * 1024)
    body = PDF_BYTES + b"0" * (1024 * 1024 - len(PDF_BYTES))
    assert store.save(body, "正好.pdf").size == 1024 * 1024  # the limit itself is allowed
    with pytest.raises(AttachmentRejected) as caught:
        store.save(body + b"0", "超了.pdf")
    assert caught.value.params == {"limit": "1"}
    assert "1 MB" in str(caught.value)
    assert caught.value.msgid % caught.value.params == str(caught.value)


def test_the_default_limit_is_10_mib(tmp_path):
    store = AttachmentStore(tmp_path)
    assert store.max_bytes == 10 * 1024 * 1024
    with pytest.raises(AttachmentRejected) as caught:
        store.save(PDF_BYTES + bytes(10 * 1024 * 1024), "大.pdf")
    assert "10 MB" in str(caught.value)


@pytest.mark.parametrize(
    ("size", "shown"),
    [(10 * 2**20, "10"), (3 * 2**19, "1.5"), (25 * 2**20, "25"), (2048, "0.00195")],
)
def test_limits_are_shown_briefly(size, shown):
    assert attachments._megabytes(size) == shown


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        (b"MZ\x90\x00" + bytes(60), "表格.pdf"),  # a Windows program
        (b"<html><script>alert(1)</script></html>", "通知.pdf"),
        (b"GIF89a" + bytes(20), "动图.png"),
        (b"plain text", "说明.txt"),
        (b" %PDF-1.7", "前面有空格.pdf"),  # the magic must be at the very start
        (_zip("readme.txt"), "压缩包.zip"),
        (_zip("[Content_Types].xml", "ppt/presentation.xml"), "演示.pptx"),
        (_zip("word/document.xml"), "缺类型表.docx"),  # no [Content_Types].xml
        (_zip("Doc_0/OFD.xml"), "嵌套.ofd"),  # OFD.xml must be at the root
        (b"PK\x03\x04 not really a zip", "坏的.docx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(40), "旧版.doc"),  # OLE: .doc / .xls
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_other_kinds_are_refused_listing_the_accepted_ones(store, data, declared):
    with pytest.raises(AttachmentRejected) as caught:
        store.save(data, declared)
    assert caught.value.msgid == UNSUPPORTED
    for kind in ("PDF", "OFD", "Word", "Excel", "PNG", "JPEG"):
        assert kind in str(caught.value)
    assert not store.root.exists() or not _files(store.root)


def test_a_truncated_zip_is_refused_not_crashing(store):
    with pytest.raises(AttachmentRejected):
        store.save(DOCX_BYTES[: len(DOCX_BYTES) // 2], "截断.docx")


def test_max_bytes_must_be_positive(tmp_path):
    with pytest.raises(ValueError):
        AttachmentStore(tmp_path, max_bytes=0)


# -- storage --------------------------------------------------------------------------------


def test_saving_the_same_content_twice_keeps_one_file(store):
    first = store.save(PDF_BYTES, "甲.pdf")
    second = store.save(PDF_BYTES, "乙.pdf")
    assert first.sha256 == second.sha256
    assert (first.filename, second.filename) == ("甲.pdf", "乙.pdf")
    digest = first.sha256
    assert _files(store.root) == [f"{digest[:2]}/{digest[2:4]}/{digest}"]


def test_no_temporary_files_are_left_behind(store):
    for data in (PDF_BYTES, PNG_BYTES, OFD_BYTES):
        store.save(data, "x")
    assert len(_files(store.root)) == 3
    assert not [p for p in store.root.rglob(".upload-*")]


def test_a_failed_write_leaves_neither_the_file_nor_a_temporary(store, monkeypatch):
    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(attachments.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        store.save(PDF_BYTES, "a.pdf")
    assert _files(store.root) == []
    monkeypatch.undo()
    assert store.open(store.save(PDF_BYTES, "a.pdf").sha256) == PDF_BYTES


def test_a_stored_file_is_readable_only_by_its_owner(store):
    stored = store.save(PDF_BYTES, "a.pdf")
    mode = os.stat(store.path_of(stored.sha256)).st_mode & 0o777
    assert mode & 0o077 == 0


def test_open_refuses_anything_but_a_digest(store):
    store.save(PDF_BYTES, "a.pdf")
    for bad in ("../../etc/passwd", "", "A" * 64, "ab/cd", "0" * 63, "0" * 65):
        with pytest.raises(ValueError):
            store.open(bad)


def test_open_of_unknown_content_is_file_not_found(store):
    with pytest.raises(FileNotFoundError):
        store.open("0" * 64)
    assert not store.exists("0" * 64)


# -- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("请示.pdf", "请示.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\张三\\桌面\\申请表.pdf", "申请表.pdf"),
        ("/tmp/a/", "附件"),
        ("..", "附件"),
        (".bashrc", "bashrc"),
        ("", "附件"),
        ("   ", "附件"),
        ("a\x00b\x1f\x7fc\x85.pdf", "abc.pdf"),
        ("报告\u202efdp.exe", "报告fdp.exe"),  # a right-to-left override hides the real end
        ("零宽\u200b空格.pdf", "零宽空格.pdf"),
        ("多  个\t空白\n.pdf", "多 个 空白 .pdf"),
        ('a<b>c:"d"|e?f*.pdf', "a_b_c__d__e_f_.pdf"),
        ("末尾有点.pdf.", "末尾有点.pdf"),
        ("ｆｕｌｌ全角.pdf", "ｆｕｌｌ全角.pdf"),
        ("e\u0301.pdf", "\u00e9.pdf"),  # composed (NFC)
    ],
)
def test_names_are_sanitised(declared, expected):
    assert sanitize_filename(declared) == expected


def test_long_names_are_cut_to_120_keeping_the_extension():
    name = sanitize_filename("关于" + "编制" * 100 + "的请示.pdf", PDF)
    assert len(name) == 120
    assert name.startswith("关于编制") and name.endswith(".pdf")
    without_extension = sanitize_filename("长" * 300)
    assert without_extension == "长" * 120


def test_a_long_name_gets_its_missing_extension_within_the_limit():
    name = sanitize_filename("长" * 300, PNG)
    assert len(name) == 120 and name.endswith(".png")


def test_the_fallback_name_gets_the_extension_of_its_type():
    assert sanitize_filename("", PDF) == "附件.pdf"
    assert sanitize_filename("\x00\x01", OFD) == "附件.ofd"
