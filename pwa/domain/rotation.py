"""Data-key rotation: re-encrypt every encrypted column under the current key id.

Each ciphertext starts with its key id (``FieldCipher``), so rotation needs no flag day:
while it runs, old and new ciphertexts both decrypt (every configured key is kept). Rows go
in small batches, one write transaction each, and each row is only replaced if it still
holds the ciphertext that was read — a concurrent change wins, and the next pass picks it
up. Running again after an interruption continues where it stopped; running it when
everything is current changes nothing.

The blind-index key is not rotated here: every index value (``person.id_number_index`` and
friends) is an HMAC that would have to be recomputed from the decrypted number, and look-ups
would miss while old and new indexes coexist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from pwa.db import write_session
from pwa.domain.crypto import DecryptionError, FieldCipher


class RotationError(Exception):
    """Rotation cannot go on; the message is one Chinese line for the operator."""


@dataclass(frozen=True)
class EncryptedColumn:
    table: str
    column: str
    context: str  # the FieldCipher context the column's values are bound to
    label: str  # Chinese, for the operator

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


def encrypted_columns() -> tuple[EncryptedColumn, ...]:
    from auth.accounts import TOTP_CONTEXT
    from pwa.domain.items.effects import SEALED_CONTEXT
    from pwa.domain.personnel import ID_CONTEXT
    from pwa.domain.push.subscriptions import AUTH_CONTEXT

    return (
        EncryptedColumn("person", "id_number_ciphertext", ID_CONTEXT, "人员身份证号"),
        EncryptedColumn("account", "totp_secret_ciphertext", TOTP_CONTEXT, "账户动态码密钥"),
        EncryptedColumn(
            "account", "totp_pending_ciphertext", TOTP_CONTEXT, "账户待确认的动态码密钥"
        ),
        EncryptedColumn("push_subscription", "auth_secret", AUTH_CONTEXT, "推送订阅密钥"),
        EncryptedColumn("item", "sealed_payload", SEALED_CONTEXT, "事项密封内容"),
    )


def _table(name: str) -> Table:
    import auth.models  # noqa: F401 - registers the account tables
    from pwa.models import Base

    return Base.metadata.tables[name]


def _key_id_of(column):
    return func.substr(column, 1, 1)


def key_id_counts(session: Session, column: EncryptedColumn) -> dict[int, int]:
    """How many values of ``column`` are under each key id."""
    table = _table(column.table)
    value = table.c[column.column]
    ids = select(_key_id_of(value).label("key_id")).where(value.is_not(None)).subquery()
    rows = session.execute(select(ids.c.key_id, func.count()).group_by(ids.c.key_id))
    return {bytes(key_id)[0]: count for key_id, count in rows if key_id}


def rotate_batch(
    factory: sessionmaker[Session], cipher: FieldCipher, column: EncryptedColumn, size: int
) -> tuple[int, int]:
    """Re-encrypt up to ``size`` values not under the current key: (rows seen, rows
    replaced); (0, 0) when the column is done."""
    table = _table(column.table)
    value = table.c[column.column]
    (pk,) = table.primary_key.columns
    current = bytes([cipher.current_key_id])
    with write_session(factory) as session:
        rows = session.execute(
            select(pk, value)
            .where(value.is_not(None), _key_id_of(value) != current)
            .order_by(pk)
            .limit(size)
        ).all()
        replaced = 0
        for row_id, old in rows:
            old = bytes(old)
            try:
                plain = cipher.decrypt(old, column.context)
            except DecryptionError:
                raise RotationError(
                    f"{column.label}（{column.name}，id={row_id}）无法解密：密钥编号 {old[0]} "
                    "不在 PWA_DATA_KEYS 中，或数据已损坏；已轮换的批次保留，补齐密钥后可重新运行"
                ) from None
            result = session.execute(
                update(table)
                .where(pk == row_id, value == old)
                .values({column.column: cipher.encrypt(plain, column.context)})
            )
            replaced += result.rowcount
    return len(rows), replaced


def rotate_all(
    factory: sessionmaker[Session],
    cipher: FieldCipher,
    size: int = 500,
    progress: Callable[[EncryptedColumn, int], None] | None = None,
) -> dict[str, int]:
    """Every column, batch by batch, until nothing is left under an older key."""
    done: dict[str, int] = {}
    for column in encrypted_columns():
        total = 0
        while True:
            seen, replaced = rotate_batch(factory, cipher, column, size)
            if not seen:
                break
            total += replaced
            if progress:
                progress(column, total)
        done[column.name] = total
    return done
