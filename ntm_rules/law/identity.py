"""A criteria set's identity: what it says after inheritance, and the rules that validated it.

One identity per set, and every cache of the package (validated sets in memory and on disk,
resolved sets, compiled rules, the catalogue of fields) is keyed by it, so that a copy, an edited
parent or a new release is never served another set's thresholds. It is the `ruleset.sha256` of
every result:

- a set read from files: SHA-256 of "ntm-rules RULES_VERSION", then the SHA-256 of each file of
  its chain, the farthest parent first (`extends:`), so an edited parent changes every child's;
- a set built or changed in memory (a copy, `Ruleset.model_validate(...)`): SHA-256 of the same
  prefix and its canonical content (every value, and the set each value was inherited from).

RULES_VERSION is the package's version: a release that validates or reads sets otherwise is a
new version. The disk cache also keys on the source of the validating modules (`code_digest`).
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel

_PACKAGE = Path(__file__).resolve().parent.parent  # ntm_rules/
# what validating a set reads besides law/: the limits, the regions (and the places they recognise
# provinces by, with the collector those rest), the errors it words, the files it opens
_VALIDATING = ("law/**/*.py", "limits.py", "regions.py", "places/*.py", "collector.py", "errors.py", "files/*.py",
               "data/*.yaml")


@lru_cache(maxsize=1)
def rules_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ntm-rules")
    except PackageNotFoundError:  # run from a source tree that is not installed
        return "source"


def _prefix() -> bytes:
    return f"ntm-rules {rules_version()}\0".encode()


def file_digest(raw: bytes) -> str:
    """The SHA-256 of one file's bytes."""
    return hashlib.sha256(raw).hexdigest()


def of_files(own_digest: str, parent_identity: str | None) -> str:
    """The identity of a set read from a file (its bytes' digest) extending a parent (its identity)."""
    digest = hashlib.sha256(_prefix())
    if parent_identity:
        digest.update(b"extends\0" + parent_identity.encode() + b"\0")
    digest.update(own_digest.encode())
    return digest.hexdigest()


def of_content(ruleset: BaseModel) -> str:
    """The identity of a set built or changed in memory: its canonical content."""
    digest = hashlib.sha256(_prefix() + b"memory\0")
    digest.update(json.dumps(canonical(ruleset), sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                             default=str).encode())
    return digest.hexdigest()


def canonical(node):
    """A model as plain data, with the set each threshold and assignment was inherited from."""
    if isinstance(node, BaseModel):
        out = {name: canonical(getattr(node, name)) for name in type(node).model_fields}
        private = node.__pydantic_private__ or {}
        if private.get("_origin"):
            out["@origin"] = private["_origin"]
        if private.get("_lineage"):
            out["@lineage"] = {k: list(v) for k, v in private["_lineage"].items()}
        return out
    if isinstance(node, dict):
        return {str(k): canonical(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [canonical(v) for v in node]
    return node


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The version and the source of every module that validating a set reads: a set validated by
    other code is never taken from the disk cache."""
    digest = hashlib.sha256(_prefix())
    for pattern in _VALIDATING:
        for source in sorted(_PACKAGE.glob(pattern)):
            digest.update(str(source.relative_to(_PACKAGE)).encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()
