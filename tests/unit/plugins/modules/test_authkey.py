"""authkey as Ansible runs it: create, keep, install, check mode, and never leak the key."""

from __future__ import annotations

import base64
import hashlib
import os
import stat


def test_generate_creates_a_0400_key_once(run_module, tmp_path):
    path = tmp_path / "authkey"
    first = run_module("authkey", path=str(path), generate=True)
    assert first["changed"] is True
    data = path.read_bytes()
    assert len(data) == 256
    assert stat.S_IMODE(path.stat().st_mode) == 0o400
    assert first["fingerprint"] == hashlib.sha256(data).hexdigest()
    second = run_module("authkey", path=str(path), generate=True)
    assert second["changed"] is False
    assert path.read_bytes() == data


def test_generate_in_check_mode_writes_nothing(run_module, tmp_path):
    path = tmp_path / "authkey"
    result = run_module("authkey", path=str(path), generate=True, _ansible_check_mode=True)
    assert result["changed"] is True
    assert not path.exists()


def test_install_given_key_and_hide_it(run_module, tmp_path):
    path = tmp_path / "authkey"
    key = os.urandom(256)
    encoded = base64.b64encode(key).decode()
    result = run_module("authkey", path=str(path), content_b64=encoded)
    assert result["changed"] is True
    assert path.read_bytes() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o400
    assert encoded not in str(result)
    assert run_module("authkey", path=str(path), content_b64=encoded)["changed"] is False


def test_wrong_mode_is_repaired(run_module, tmp_path):
    path = tmp_path / "authkey"
    key = os.urandom(200)
    path.write_bytes(key)
    path.chmod(0o644)
    result = run_module("authkey", path=str(path), content_b64=base64.b64encode(key).decode())
    assert result["changed"] is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o400


def test_bad_input_names_the_field(run_module, tmp_path):
    path = tmp_path / "authkey"
    short = run_module("authkey", path=str(path), content_b64=base64.b64encode(b"x" * 10).decode())
    assert short["failed"] is True
    assert short["msg"] == "content_b64: the key has 10 bytes, Corosync accepts 128 to 4096"
    garbage = run_module("authkey", path=str(path), content_b64="not base64!")
    assert garbage["msg"] == "content_b64: is not valid base64"
    size = run_module("authkey", path=str(path), generate=True, size=64)
    assert size["msg"] == "size: 64 is outside 128..4096 bytes, the key sizes Corosync accepts"
    both = run_module("authkey", path=str(path), generate=True, content_b64="eA==")
    assert "mutually exclusive" in both["msg"]
    assert not path.exists()
