"""Validated rulesets kept on disk between runs, so that one commune from the command line does
not read, validate and check its YAML again (about 0.1 s a set; a run may need every installed
set to know the fields a document may carry).

An entry is keyed by everything the loaded set depends on: the package version, the file's
path and bytes, and NTM_RULESETS_PATH (which decides what `extends:` finds); the sha256 of the
parent it was merged with is stored and compared on the way out. Any doubt is a miss: an entry
that cannot be read, has another format or names another parent is ignored and rewritten. The
folder is `$NTM_CACHE_DIR`, else `$XDG_CACHE_HOME/ntm-rules`, else `~/.cache/ntm-rules`;
deleting it is always safe; `NTM_CACHE_DIR=` (empty) turns the cache off. Entries are pickles
written by this user only (folder 0700, files 0600) and read back only from that folder.
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


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ntm-rules")
    except PackageNotFoundError:
        return "unknown"


def _key(path: Path, raw: bytes) -> str:
    digest = hashlib.sha256()
    for part in (str(FORMAT), _version(), str(path), os.environ.get("NTM_RULESETS_PATH", "")):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(raw)
    return digest.hexdigest()


def get(path: Path, raw: bytes):
    """(ruleset, parent path or None, parent sha256 or None) stored for this file, else None."""
    where = folder()
    if where is None:
        return None
    key = _key(path, raw)
    try:
        with open(where / f"{key}.pickle", "rb") as handle:
            entry = pickle.load(handle)
        if not (isinstance(entry, dict) and entry.get("format") == FORMAT and entry.get("key") == key):
            return None
        return entry["ruleset"], entry["parent_path"], entry["parent_sha256"]
    except Exception:  # missing, unreadable, truncated or from another version: a miss
        return None


def put(path: Path, raw: bytes, ruleset, parent_path, parent_sha256) -> None:
    """Store a ruleset that loaded cleanly (best effort: a cache that cannot be written is skipped)."""
    where = folder()
    if where is None:
        return
    key = _key(path, raw)
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        entry = {"format": FORMAT, "key": key, "ruleset": ruleset,
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
