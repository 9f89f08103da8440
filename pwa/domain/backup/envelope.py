"""The encrypted backup file: AES-256-GCM in chunks, the manifest as the last, final chunk.

Layout::

    MAGIC (10) | file id (16) | key check (8) | record*
    record = kind (1: D data, M manifest) | length (4, big-endian) | nonce (12) | ciphertext+tag

Each file gets its own key, derived with HKDF-SHA256 from ``BACKUP_KEY`` and the random file
id. Every record's additional data binds the magic, file id, record index and kind, so a
flipped byte fails the tag, swapped or repeated records fail the index, and a truncated file
lacks its manifest record (only one, last, with nothing after it). The manifest carries the
size and SHA-256 of the plaintext dump, checked once every chunk has verified.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import struct
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"BBBACKUP1\n"
CHUNK_BYTES = 1024 * 1024
_FILE_ID = 16
_KEY_CHECK = 8
_NONCE = 12
_TAG = 16
_RECORD_HEAD = struct.Struct(">cI")
DATA, MANIFEST = b"D", b"M"


class BackupError(Exception):
    """A backup operation failed; the message is one Chinese line for the operator."""


class BackupIntegrityError(BackupError):
    """The file does not verify: the message is one Chinese line for the operator."""


def _file_key(key: bytes, file_id: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=file_id, info=b"bianban backup v1"
    ).derive(key)


def key_check(key: bytes) -> bytes:
    """A short, one-way tag of the key: tells "wrong key" apart from "damaged file"."""
    return hmac.new(key, b"bianban backup key check", hashlib.sha256).digest()[:_KEY_CHECK]


def _aad(file_id: bytes, index: int, kind: bytes) -> bytes:
    return MAGIC + file_id + struct.pack(">Q", index) + kind


def encrypt(key: bytes, source: BinaryIO, target: BinaryIO, manifest: dict) -> dict:
    """Encrypt ``source`` into ``target``; returns the manifest as sealed (with the dump's
    size and hash added)."""
    file_id = os.urandom(_FILE_ID)
    aead = AESGCM(_file_key(key, file_id))
    target.write(MAGIC + file_id + key_check(key))
    digest, size, index = hashlib.sha256(), 0, 0

    def record(kind: bytes, plain: bytes) -> None:
        nonlocal index
        nonce = os.urandom(_NONCE)
        sealed = aead.encrypt(nonce, plain, _aad(file_id, index, kind))
        target.write(_RECORD_HEAD.pack(kind, len(sealed)) + nonce + sealed)
        index += 1

    while chunk := source.read(CHUNK_BYTES):
        digest.update(chunk)
        size += len(chunk)
        record(DATA, chunk)
    sealed_manifest = {**manifest, "dump_bytes": size, "dump_sha256": digest.hexdigest()}
    record(MANIFEST, json.dumps(sealed_manifest, ensure_ascii=False, sort_keys=True).encode())
    return sealed_manifest


def _read_exactly(source: BinaryIO, count: int, what: str) -> bytes:
    data = source.read(count)
    if len(data) != count:
        raise BackupIntegrityError(f"备份文件不完整（{what}被截断）")
    return data


def _records(key: bytes, source: BinaryIO) -> Iterator[tuple[bytes, bytes]]:
    head = source.read(len(MAGIC) + _FILE_ID + _KEY_CHECK)
    if len(head) < len(MAGIC) or head[: len(MAGIC)] != MAGIC:
        raise BackupIntegrityError("不是本系统的备份文件（文件头不符）")
    if len(head) != len(MAGIC) + _FILE_ID + _KEY_CHECK:
        raise BackupIntegrityError("备份文件不完整（文件头被截断）")
    file_id = head[len(MAGIC) : len(MAGIC) + _FILE_ID]
    if not hmac.compare_digest(head[len(MAGIC) + _FILE_ID :], key_check(key)):
        raise BackupIntegrityError(
            "备份密钥不符：该文件不是用当前的 PWA_BACKUP_KEY 加密的（或文件头已损坏）"
        )
    aead = AESGCM(_file_key(key, file_id))
    index = 0
    while True:
        raw = source.read(_RECORD_HEAD.size)
        if not raw:
            raise BackupIntegrityError("备份文件不完整：缺少清单（文件被截断）")
        if len(raw) != _RECORD_HEAD.size:
            raise BackupIntegrityError(f"备份文件不完整（第 {index + 1} 块被截断）")
        kind, length = _RECORD_HEAD.unpack(raw)
        if kind not in (DATA, MANIFEST) or not _TAG <= length <= CHUNK_BYTES + _TAG:
            raise BackupIntegrityError(f"备份文件已损坏：第 {index + 1} 块的块头无效")
        nonce = _read_exactly(source, _NONCE, f"第 {index + 1} 块")
        sealed = _read_exactly(source, length, f"第 {index + 1} 块")
        try:
            plain = aead.decrypt(nonce, sealed, _aad(file_id, index, kind))
        except Exception:  # InvalidTag: the chunk, its place or its kind was changed
            what = "清单" if kind == MANIFEST else f"第 {index + 1} 块数据"
            raise BackupIntegrityError(
                f"备份文件校验失败：{what}已被篡改、损坏或顺序被打乱"
            ) from None
        yield kind, plain
        index += 1
        if kind == MANIFEST:
            if source.read(1):
                raise BackupIntegrityError("备份文件校验失败：清单之后还有多余的数据")
            return


def decrypt(key: bytes, source: BinaryIO, target: BinaryIO | None = None) -> dict:
    """Check every record and the manifest; write the dump to ``target`` if given. The
    caller must not trust ``target`` unless this returns (it raises on any damage)."""
    digest, size = hashlib.sha256(), 0
    manifest: dict | None = None
    for kind, plain in _records(key, source):
        if kind == DATA:
            digest.update(plain)
            size += len(plain)
            if target is not None:
                target.write(plain)
        else:
            try:
                manifest = json.loads(plain)
            except ValueError:
                raise BackupIntegrityError("备份清单无法解析") from None
    assert manifest is not None
    if manifest.get("dump_bytes") != size or manifest.get("dump_sha256") != digest.hexdigest():
        raise BackupIntegrityError("备份文件校验失败：数据与清单中的长度或哈希不符")
    return manifest
