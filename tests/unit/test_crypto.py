import pytest

from pwa.domain.crypto import BlindIndex, DecryptionError, FieldCipher

KEY = bytes(range(32))


def test_round_trip_and_fresh_nonce_each_time():
    cipher = FieldCipher.single(KEY)
    a = cipher.encrypt("11010519491231002X", "person.id_number")
    b = cipher.encrypt("11010519491231002X", "person.id_number")
    assert a != b
    assert cipher.decrypt(a, "person.id_number") == "11010519491231002X"
    assert b"11010519491231002X" not in a


def test_ciphertext_is_bound_to_its_column():
    cipher = FieldCipher.single(KEY)
    blob = cipher.encrypt("secret", "person.id_number")
    with pytest.raises(DecryptionError):
        cipher.decrypt(blob, "account.totp_secret")


def test_a_flipped_byte_fails_loudly():
    cipher = FieldCipher.single(KEY)
    blob = bytearray(cipher.encrypt("secret", "c"))
    blob[-1] ^= 1
    with pytest.raises(DecryptionError):
        cipher.decrypt(bytes(blob), "c")


def test_old_key_still_decrypts_after_rotation():
    old = FieldCipher.single(KEY, key_id=1)
    blob = old.encrypt("v", "c")
    rotated = FieldCipher(keys={1: KEY, 2: bytes(32)}, current_key_id=2)
    assert rotated.decrypt(blob, "c") == "v"
    assert rotated.encrypt("v", "c")[0] == 2


def test_keys_must_be_256_bits():
    with pytest.raises(ValueError):
        FieldCipher.single(b"short")
    with pytest.raises(ValueError):
        BlindIndex(b"short")


def test_blind_index_is_deterministic_and_keyed():
    assert BlindIndex(KEY).of("x") == BlindIndex(KEY).of("x")
    assert BlindIndex(KEY).of("x") != BlindIndex(bytes(32)).of("x")
