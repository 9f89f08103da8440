"""Key configuration for backups and rotation: several data keys, a backup key of its own."""

from __future__ import annotations

import base64
import os

import pytest

from pwa import create_app
from pwa.config import ConfigurationError, DevelopmentConfig, TestConfig
from pwa.keys import field_cipher
from tests.unit.test_config import production


def b64() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_data_keys_list_the_current_key_first_and_keep_data_key_as_id_1():
    one, two, three = b64(), b64(), b64()
    config = TestConfig()
    config.DATA_KEY = one
    config.DATA_KEYS = f"3:{three}, 2:{two}"
    cipher = field_cipher(config)
    assert cipher.current_key_id == 3
    assert cipher.keys == {
        1: base64.b64decode(one),
        2: base64.b64decode(two),
        3: base64.b64decode(three),
    }


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("2-abc", "格式无效"),
        ("0:" + base64.b64encode(b"k" * 32).decode(), "格式无效"),
        ("256:" + base64.b64encode(b"k" * 32).decode(), "格式无效"),
        ("2:not base64!", "base64"),
        ("2:" + base64.b64encode(b"short").decode(), "太短"),
        ("2:{k},2:{k}", "重复"),
        ("1:{k}", "不一致"),
    ],
)
def test_malformed_data_keys_are_named_clearly(value, fragment):
    config = TestConfig()
    config.DATA_KEYS = value.replace("{k}", b64())
    with pytest.raises(ConfigurationError, match=fragment):
        field_cipher(config)


def test_production_needs_a_backup_key_of_its_own(tmp_path):
    with pytest.raises(ConfigurationError, match="PWA_BACKUP_KEY"):
        create_app(production(tmp_path, BACKUP_KEY=None))
    with pytest.raises(ConfigurationError, match="默认值"):
        create_app(production(tmp_path, BACKUP_KEY=TestConfig.BACKUP_KEY))
    same = production(tmp_path)
    same.BACKUP_KEY = same.DATA_KEY
    with pytest.raises(ConfigurationError, match="不得与数据加密密钥"):
        create_app(same)


def test_production_may_use_data_keys_alone(tmp_path):
    app = create_app(production(tmp_path, DATA_KEY=None, DATA_KEYS=f"2:{b64()}"))
    assert app.extensions["pwa.secrets"][0].current_key_id == 2


def test_development_generates_a_backup_key(tmp_path):
    config = DevelopmentConfig()
    config.DATABASE_URL = f"sqlite:///{tmp_path}/d.sqlite3"
    config.INSTANCE_PATH = str(tmp_path / "instance")
    app = create_app(config)
    key_file = tmp_path / "instance" / "keys" / "backup_key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert app.config["BACKUP_KEY"] == key_file.read_text().strip() != app.config["DATA_KEY"]
