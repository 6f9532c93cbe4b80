"""Who may call the service: named keys, each with a role and optionally a province.

A keys file (`ntm-assess serve --keys FILE`; `ntm-assess keys add NAME --role R [--province P]
--keys FILE` writes it and prints the new key once) is JSON:

    {"format": "ntm-keys/1", "salt": HEX, "keys": [{"name", "role", "province", "hmac", "created"}]}

Only HMAC-SHA-256(salt, key) is stored, with a random salt for the file; a presented key is hashed
the same way and compared with every stored one in constant time. Roles: read (every answer, the
pages, one commune assessed), upload (read, and batches stored), admin (upload, and the list of
keys). A key with a province sees and stores only that province's communes.

A keys file, or a token file (`--token-file`, kept as one admin key named "token"), must be the
user's own regular file, not a link, readable and writable by nobody else, and ASCII.
"""
from __future__ import annotations

import errno
import hashlib
import hmac
import json
import os
import re
import secrets
import stat
from dataclasses import dataclass
from datetime import datetime, timezone

from ..errors import InputError, Say, printable
from ..regions import exact, province_key

ROLES = ("read", "upload", "admin")
FORMAT = "ntm-keys/1"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_FILE = 1 << 20
MAX_KEY = 200  # characters of a presented key; longer ones are not hashed at all


@dataclass(frozen=True)
class Key:
    name: str
    role: str
    province: str | None  # as written; `sees` compares its key (`places.province_key`, as the history keys provinces)
    digest: bytes

    def may(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)

    @property
    def province_key(self) -> str | None:
        return province_key(self.province) if self.province else None

    def sees(self, province_key: str | None) -> bool:
        """Whether this key sees a province (by its key); a key without a province sees every one."""
        return self.province is None or province_key == self.province_key


class Keys:
    """The keys the service accepts."""

    def __init__(self, salt: bytes, keys: list[Key]):
        self.salt, self.keys = salt, keys

    def find(self, presented: str) -> Key | None:
        """The key `presented` is, or None; every stored key is compared, in constant time."""
        if not presented or len(presented) > MAX_KEY or not presented.isascii():
            return None
        digest = _digest(self.salt, presented)
        found = None
        for key in self.keys:
            if hmac.compare_digest(key.digest, digest):
                found = key
        return found


def _digest(salt: bytes, key: str) -> bytes:
    return hmac.new(salt, key.encode("ascii"), hashlib.sha256).digest()


def _refused(path: str, marker: str, message: Say, fix: Say) -> InputError:
    return InputError(message, source=path, field=f"⟪{marker}⟫", fix=fix)


def read_private(path: str, marker: str) -> str:
    """The text of a file only its owner (the user running the service) can read or write: a regular
    file, not a link (symbolic or hard), ASCII. Refused otherwise (InputError naming ⟪marker⟫)."""
    private = Say(f"chmod 600 {path}, với tệp của chính người chạy dịch vụ (không phải liên kết)",
                  f"chmod 600 {path}, on a file of the user running the service (not a link)")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0) | os.O_NONBLOCK)
    except OSError as error:
        if error.errno == errno.ELOOP:  # the last part of the path is a symbolic link
            raise _refused(path, marker, Say("là một liên kết, không phải tệp", "is a link, not a file"), private) from None
        raise _refused(path, marker, Say(f"không đọc được ({error.strerror})", f"cannot be read ({error.strerror})"),
                       private) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
            raise _refused(path, marker, Say("không phải một tệp thường (hoặc có liên kết cứng)",
                                             "not a regular file (or it has hard links)"), private)
        if info.st_uid != os.getuid():
            raise _refused(path, marker, Say("không thuộc người chạy dịch vụ", "not owned by the user running the service"),
                           private)
        if info.st_mode & 0o066:
            raise _refused(path, marker, Say("người khác đọc hoặc ghi được tệp này", "others can read or write it"), private)
        data = handle.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise _refused(path, marker, Say("tệp quá lớn", "the file is too large"), private)
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        raise _refused(path, marker, Say("có ký tự không phải ASCII", "holds characters that are not ASCII"),
                       Say("chỉ dùng chữ, số và dấu - _ . ~ trong mã", "use only letters, digits and - _ . ~ in a key")) from None


def read_token(path: str) -> Keys:
    """`--token-file`: the first line of a private file, at least 16 printable ASCII characters with
    no space; one admin key named "token"."""
    token = read_private(path, "token_file").split("\n", 1)[0].strip()
    if len(token) < 16 or len(token) > MAX_KEY or any(c.isspace() or not c.isprintable() for c in token):
        raise _refused(path, "token_file", Say("mã truy cập quá ngắn, quá dài hoặc có khoảng trắng",
                                               "the token is too short, too long or holds spaces"),
                       Say("ghi một mã dài ít nhất 16 ký tự (ví dụ: python3 -c 'import secrets; "
                           "print(secrets.token_urlsafe(32))')", "write a token of at least 16 characters (e.g. "
                           "python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"))
    salt = secrets.token_bytes(32)
    return Keys(salt, [Key("token", "admin", None, _digest(salt, token))])


def read_keys(path: str) -> Keys:
    """A keys file (see the module's doc), refused whole when any part of it is wrong."""
    text = read_private(path, "keys")
    data = _parsed(path, text)
    return Keys(bytes.fromhex(data["salt"]), [Key(k["name"], k["role"], k.get("province"), bytes.fromhex(k["hmac"]))
                                              for k in data["keys"]])


def _parsed(path: str, text: str) -> dict:
    fix = Say("tạo lại tệp (⟪keys_add⟫)", "write the file again (⟪keys_add⟫)")
    try:
        data = json.loads(text)
        assert isinstance(data, dict) and data.get("format") == FORMAT and isinstance(data.get("keys"), list)
        assert len(bytes.fromhex(data["salt"])) >= 16
        for key in data["keys"]:
            assert NAME.match(key["name"]) and key["role"] in ROLES and len(bytes.fromhex(key["hmac"])) == 32
            assert key.get("province") is None or (isinstance(key["province"], str) and exact(key["province"]))
        names = [k["name"] for k in data["keys"]]
        assert len(names) == len(set(names))
    except (ValueError, AssertionError, KeyError, TypeError, AttributeError):
        raise _refused(path, "keys", Say("không phải một tệp khóa của ntm-rules", "not an ntm-rules keys file"),
                       fix) from None
    return data


def add_key(path: str, name: str, role: str, province: str | None = None) -> str:
    """Add a key to the keys file at `path` (created, private, when missing); returns the new key,
    which is stored only as its HMAC and cannot be shown again."""
    if not NAME.match(name):
        raise InputError(Say("tên khóa chỉ gồm chữ, số và . _ - (tối đa 64 ký tự)",
                             "a key's name holds only letters, digits and . _ - (at most 64 characters)"),
                         source=printable(name, keep_newlines=False)[:80], fix=Say("chọn tên khác", "choose another name"))
    if province is not None and not exact(province):
        raise InputError(Say("tên tỉnh trống", "the province is empty"), field="⟪province⟫",
                         fix=Say("ghi tên tỉnh như trong dữ liệu", "write the province as the data names it"))
    if os.path.lexists(path):
        data = _parsed(path, read_private(path, "keys"))
    else:
        data = {"format": FORMAT, "salt": secrets.token_hex(32), "keys": []}
    if any(k["name"] == name for k in data["keys"]):
        raise InputError(Say(f"đã có khóa tên {name}", f"a key named {name} exists"), source=path,
                         fix=Say("chọn tên khác, hoặc xóa khóa cũ (⟪keys_remove⟫)",
                                 "choose another name, or remove the old key (⟪keys_remove⟫)"))
    key = "ntm_" + secrets.token_urlsafe(32)
    data["keys"].append({"name": name, "role": role, "province": province,
                         "hmac": _digest(bytes.fromhex(data["salt"]), key).hex(),
                         "created": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    write_keys(path, data)
    return key


def remove_key(path: str, name: str) -> None:
    data = _parsed(path, read_private(path, "keys"))
    kept = [k for k in data["keys"] if k["name"] != name]
    if len(kept) == len(data["keys"]):
        raise InputError(Say(f"không có khóa tên {name}", f"no key named {name}"), source=path,
                         fix=Say("xem các khóa (⟪keys_list⟫)", "see the keys (⟪keys_list⟫)"))
    data["keys"] = kept
    write_keys(path, data)


def listed(path: str) -> list[dict]:
    """The keys of a file, without their hashes."""
    return [{k: key.get(k) for k in ("name", "role", "province", "created")}
            for key in _parsed(path, read_private(path, "keys"))["keys"]]


def write_keys(path: str, data: dict) -> None:
    """Write the file whole or not at all, readable by its owner only."""
    folder = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            json.dump(data, handle, ensure_ascii=True, indent=1)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
