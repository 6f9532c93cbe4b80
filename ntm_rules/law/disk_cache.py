"""Validated rulesets kept on disk between runs, so that one commune from the command line does
not read, validate and check its YAML again (about 0.1 s a set; a run may need every installed
set to know the fields a document may carry).

An entry is keyed by everything the loaded set depends on: the package version and the source
of `ntm_rules/law/` (the rules that validated it), the file's path and bytes, and the folders of
NTM_RULESETS_PATH; on the way out, `extends:` is looked up again and must find the same parent
file, with the same sha256, as when the entry was written. Any doubt is a miss: an entry
that cannot be read, has another format or names another parent is ignored and rewritten. The
folder is `$NTM_CACHE_DIR`, else `$XDG_CACHE_HOME/ntm-rules`, else `~/.cache/ntm-rules`;
deleting it is always safe; `NTM_CACHE_DIR=` (empty) turns the cache off. Entries are pickles
written by this user only (folder 0700) and read back only from a folder and files this user
owns that nobody else can write; any other folder is not used.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

FORMAT = 1


def folder() -> Path | None:
    configured = os.environ.get("NTM_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ntm-rules"


def _private(where: Path) -> bool:
    """The folder is a real folder of this user's that nobody else may write into (else it is not
    used at all: a pickle another user could plant would run as this user)."""
    try:
        info = os.lstat(where)
    except OSError:
        return False
    import stat

    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022


_code_digest: str | None = None


def _code() -> str:
    """The package version and the source of the law package: sets validated by other rules are misses."""
    global _code_digest
    if _code_digest is None:
        from importlib.metadata import PackageNotFoundError, version

        digest = hashlib.sha256()
        try:
            digest.update(version("ntm-rules").encode())
        except PackageNotFoundError:
            pass
        for source in sorted(Path(__file__).resolve().parent.glob("*.py")):
            digest.update(source.name.encode() + b"\0" + source.read_bytes())
        _code_digest = digest.hexdigest()
    return _code_digest


def _key(path: Path, raw: bytes) -> str:
    digest = hashlib.sha256()
    folders = os.pathsep.join(str(Path(p).resolve()) for p in os.environ.get("NTM_RULESETS_PATH", "").split(os.pathsep) if p)
    for part in (str(FORMAT), _code(), str(path), folders):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(raw)
    return digest.hexdigest()


def get(path: Path, raw: bytes):
    """(ruleset, the id its `extends:` names or None, parent path or None, parent sha256 or None)
    stored for this file, else None."""
    where = folder()
    if where is None or not _private(where):
        return None
    key = _key(path, raw)
    try:
        entry_path = where / f"{key}.pickle"
        info = os.lstat(entry_path)
        if info.st_uid != os.getuid() or info.st_mode & 0o022:
            return None
        with open(entry_path, "rb") as handle:
            entry = pickle.load(handle)
        if not (isinstance(entry, dict) and entry.get("format") == FORMAT and entry.get("key") == key):
            return None
        return entry["ruleset"], entry["extends"], entry["parent_path"], entry["parent_sha256"]
    except Exception:  # missing, unreadable, truncated or from another version: a miss
        return None


def put(path: Path, raw: bytes, ruleset, extends, parent_path, parent_sha256) -> None:
    """Store a ruleset that loaded cleanly (best effort: a cache that cannot be written is skipped)."""
    where = folder()
    if where is None:
        return
    key = _key(path, raw)
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(where):
            return
        entry = {"format": FORMAT, "key": key, "ruleset": ruleset, "extends": extends,
                 "parent_path": str(parent_path) if parent_path is not None else None, "parent_sha256": parent_sha256}
        handle, temporary = tempfile.mkstemp(dir=where, prefix=".entry-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(entry, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, where / f"{key}.pickle")
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    except Exception:
        return
