"""Attachments of items: checked by their content, stored by their SHA-256 outside static.

A file is kept at ``root/ab/cd/<sha256>``: the same content is stored once however often and
under whatever name it is uploaded, and a name never reaches the file system. Its type is
decided by its first bytes (and, for the zip-based formats, by the entries inside), never by
the name or the browser's declared type, so what is served back is what was checked.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from auth.i18n import N_, UserFacingError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_NAME_LENGTH = 120
FALLBACK_NAME = "附件"

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
OFD = "application/ofd"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The extensions a stored name may end in for each type; the first is added when missing.
EXTENSIONS = {
    PDF: (".pdf",),
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg"),
    OFD: (".ofd",),
    DOCX: (".docx",),
    XLSX: (".xlsx",),
}

_SHA256 = re.compile(r"[0-9a-f]{64}")
# Characters Windows refuses in a name, besides the path separators removed earlier.
_RESERVED = re.compile(r'[<>:"|?*]')


# The refusal lists every accepted kind, so the uploader knows what to convert to.
UNSUPPORTED = N_("不支持此类文件，只能上传 PDF、OFD、Word（docx）、Excel（xlsx）、PNG 或 JPEG")


class AttachmentRejected(UserFacingError):
    """The upload is not accepted; ``msgid`` says why, in words for the uploader."""


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    content_type: str
    filename: str


def detect_type(data: bytes) -> str | None:
    """The content type by magic bytes, or None when the content is not an accepted kind."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        return _zip_type(data)
    return None


def _zip_type(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())  # reads the central directory only
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        return None
    if "OFD.xml" in names:
        return OFD
    if "[Content_Types].xml" in names:
        if any(n.startswith("word/") for n in names):
            return DOCX
        if any(n.startswith("xl/") for n in names):
            return XLSX
    return None


def _is_space(c: str) -> bool:
    return c in "\t\n\r\v\f" or unicodedata.category(c) in ("Zs", "Zl", "Zp")


def _is_hidden(c: str) -> bool:
    """Control, format (zero-width, bidi overrides), surrogate and private-use characters."""
    return unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co")


def sanitize_filename(declared_name: str, content_type: str | None = None) -> str:
    """A display name safe to store and to send back in Content-Disposition.

    Keeps the last path component only, drops control and format characters (bidi
    overrides included), keeps Chinese, caps the length at 120 keeping the extension, and
    makes sure the extension fits ``content_type`` when one is given.
    """
    name = unicodedata.normalize("NFC", declared_name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(" " if _is_space(c) else "" if _is_hidden(c) else c for c in name)
    name = _RESERVED.sub("_", name)
    name = re.sub(" +", " ", name)  # a run of white space becomes one plain space
    name = name.strip(" .")  # no hidden files, no "..", no trailing dot (Windows)
    if not name:
        name = FALLBACK_NAME
    if content_type in EXTENSIONS:
        allowed = EXTENSIONS[content_type]
        if not name.lower().endswith(allowed):
            name += allowed[0]
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_NAME_LENGTH - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            name = name[:MAX_NAME_LENGTH].rstrip(" .")
    return name


def _megabytes(size: int) -> str:
    """10 MiB → "10", 1.5 MiB → "1.5", 2 KiB → "0.00195": short, and never a plain 0."""
    mb = size / (1024 * 1024)
    return f"{mb:.2f}".rstrip("0").rstrip(".") if mb >= 1 else f"{mb:.3g}"


class AttachmentStore:
    """Content-addressed files under ``root``, which must not be served as static files."""

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self.root = Path(root)
        self.max_bytes = max_bytes

    def check(self, data: bytes) -> str:
        """The content type of an acceptable upload, or AttachmentRejected."""
        if not data:
            raise AttachmentRejected(N_("文件为空，请重新选择"))
        if len(data) > self.max_bytes:
            limit = _megabytes(self.max_bytes)
            raise AttachmentRejected(N_("文件超过 %(limit)s MB 的大小上限"), limit=limit)
        content_type = detect_type(data)
        if content_type is None:
            raise AttachmentRejected(UNSUPPORTED)
        return content_type

    def path_of(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def save(self, data: bytes, declared_name: str) -> StoredFile:
        content_type = self.check(data)
        digest = hashlib.sha256(data).hexdigest()
        stored = StoredFile(
            sha256=digest,
            size=len(data),
            content_type=content_type,
            filename=sanitize_filename(declared_name, content_type),
        )
        path = self.path_of(digest)
        if path.is_file() and path.stat().st_size == len(data):
            return stored  # the same content is already there
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as temp:
                temp.write(data)
                temp.flush()
                os.fsync(temp.fileno())
            os.replace(temp_name, path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return stored

    def open(self, sha256: str) -> bytes:
        """The stored content; FileNotFoundError if there is none, ValueError for a bad id."""
        return self.path_of(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()
