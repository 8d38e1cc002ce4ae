import pytest
from cryptography.fernet import Fernet

from catalog.vault import Vault, VaultError
from engines.netpolicy import AddressRefused, Policy, check_address, resolve_allowed


def test_first_key_encrypts_all_keys_decrypt():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = Vault([old]).encrypt("pw")
    both = Vault([new, old])
    assert both.decrypt(token) == "pw"
    rotated = both.rotate(token)
    assert Vault([new]).decrypt(rotated) == "pw"
    with pytest.raises(VaultError):
        Vault([old]).decrypt(rotated)


def test_invalid_key_is_a_clear_error():
    with pytest.raises(VaultError, match="not a valid Fernet key"):
        Vault(["nope"])


@pytest.mark.parametrize("ip", ["169.254.169.254", "fe80::1", "0.0.0.0", "224.0.0.1", "::ffff:169.254.169.254"])
def test_link_local_and_reserved_always_refused(ip):
    with pytest.raises(AddressRefused):
        check_address(ip, allow_loopback=True, allow_private=True)


def test_loopback_and_private_follow_configuration():
    check_address("127.0.0.1", allow_loopback=True, allow_private=False)
    check_address("10.1.2.3", allow_loopback=False, allow_private=True)
    with pytest.raises(AddressRefused):
        check_address("127.0.0.1", allow_loopback=False, allow_private=True)
    with pytest.raises(AddressRefused):
        check_address("192.168.1.1", allow_loopback=True, allow_private=False)


def test_names_are_resolved_before_checking():
    with pytest.raises(AddressRefused):
        resolve_allowed("localhost", 5432, Policy(allow_loopback=False, allow_private=False))
    assert resolve_allowed("localhost", 5432, Policy(allow_loopback=True)) in ("127.0.0.1", "::1")
