"""Finding and reading criteria sets: a set by id or path (``load_ruleset``), its file read within
limits, merged with the set it extends, validated (`check.py`) and kept by identity (`cache.py`);
the folders sets are looked up in."""
from __future__ import annotations

import os
import threading
from pathlib import Path

from pydantic import ValidationError

from . import cache, identity, inherit
from ..errors import NtmError, RulesetError, internal_error, printable
from ..files import is_regular_file
from ..limits import PERIOD_YEARS
from .check import check_ruleset, is_ruleset_id
from .schema import Ruleset, constructed, seal, sealed
from .yamlfile import _display, read_ruleset_bytes, read_yaml, validation_problems

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # ntm_rules/


def ruleset_dirs() -> list[Path]:
    """Where ruleset ids are looked up: $NTM_RULESETS_PATH, the checkout's rulesets/, the wheel's copy."""
    dirs = [Path(p) for p in os.environ.get("NTM_RULESETS_PATH", "").split(os.pathsep) if p]
    dirs += [_PACKAGE_DIR.parent / "rulesets", _PACKAGE_DIR / "_rulesets"]
    return [d for d in dirs if d.is_dir()]


def is_shipped(path: Path) -> bool:
    """Whether a ruleset file comes with the package (not from a folder of NTM_RULESETS_PATH)."""
    shipped = {(_PACKAGE_DIR.parent / "rulesets").resolve(), (_PACKAGE_DIR / "_rulesets").resolve()}
    return Path(path).resolve().parent in shipped


_listings = cache.Bounded(8)  # the folders and their modification times → the set files in them


def shipped_ruleset_paths() -> list[Path]:
    """The set files of every folder sets are looked up in, one per id (the first folder's wins);
    listed again when a folder changes (a file added, removed or renamed changes its time)."""
    folders = []
    for directory in ruleset_dirs():
        try:
            folders.append((str(directory), os.stat(directory).st_mtime_ns))
        except OSError:
            continue
    return list(_listings.of(tuple(folders), lambda: _set_files(folders)))


def _set_files(folders: list[tuple[str, int]]) -> list[Path]:
    seen, found = set(), []
    for directory, _ in folders:
        for path in sorted(Path(directory).glob("*.yaml")):
            if path.stem not in seen:
                seen.add(path.stem)
                found.append(path)
    return found


def find_ruleset_id(ruleset_id: str, beside: Path | None = None) -> Path:
    """The file of a ruleset named by id: beside `beside` first (for `extends:`), then in the
    folders of NTM_RULESETS_PATH and the shipped ones. Only regular files count."""
    name = ruleset_id.removesuffix(".yaml").removesuffix(".yml") if isinstance(ruleset_id, str) else ruleset_id
    if not is_ruleset_id(name):
        raise RulesetError([f"{printable(str(ruleset_id))[:80]}: not a ruleset id (a ruleset is named by its id, never by a "
                            "path); fix: write the id of a shipped ruleset or of one in NTM_RULESETS_PATH"])
    folders = ([beside] if beside is not None else []) + ruleset_dirs()
    for directory in folders:
        for suffix in (".yaml", ".yml"):
            path = directory / f"{name}{suffix}"
            if is_regular_file(path):
                return path
    known = ", ".join(p.stem for p in shipped_ruleset_paths())
    raise RulesetError([f"{name}: no ruleset with this id; fix: use one of {known}, or add its file to a folder "
                        "of NTM_RULESETS_PATH"],
                       vi=[f"{name}: không có bộ tiêu chí mang mã này; cách sửa: dùng một trong {known}, hoặc đặt tệp "
                           "của bộ vào một thư mục của NTM_RULESETS_PATH"])


def find_ruleset(id_or_path: str | os.PathLike) -> Path:
    """A ruleset named by the caller: an id, or a path to a .yaml file (only callers may give paths)."""
    text = os.fspath(id_or_path)
    if (isinstance(id_or_path, os.PathLike) or text.endswith((".yaml", ".yml")) or os.sep in text or "/" in text
            or os.path.isfile(text)):
        return Path(text)
    return find_ruleset_id(text)


_loading = threading.local()  # the files being loaded by this thread: a ruleset may not require itself


def load_ruleset(id_or_path: str | os.PathLike | Ruleset) -> Ruleset:
    """Load, validate and check a ruleset by id (``vn-2016-2020``) or path; kept by identity
    (`identity.py`, `cache.py`). A set given as an object is returned as it is, with its identity
    computed again when it is not sealed (built or changed in memory).

    Raises RulesetError for a file that cannot be used, InternalError for a bug of ours."""
    try:
        return _load_ruleset(id_or_path)
    except NtmError:
        raise
    except Exception as error:
        raise internal_error(error) from error


def _load_ruleset(id_or_path: str | os.PathLike | Ruleset) -> Ruleset:
    if not isinstance(id_or_path, (str, os.PathLike, Ruleset)):
        raise RulesetError([f"{type(id_or_path).__name__}: a ruleset is named by its id or the path of its file; "
                            "fix: pass a text such as vn-2016-2020"])
    if isinstance(id_or_path, Ruleset):
        if not sealed(id_or_path):  # built or changed in memory: its identity is its content now
            object.__getattribute__(id_or_path, "__pydantic_private__")["_sha256"] = identity.of_content(id_or_path)
        return id_or_path
    path = find_ruleset(id_or_path)
    try:
        path = path.resolve()
    except OSError as error:
        raise RulesetError([f"{_display(path)}: cannot read it ({error.strerror}); fix: check the path"]) from None
    except RuntimeError:  # a symlink loop
        raise RulesetError([f"{_display(path)}: the path loops through symbolic links; fix: check the path"]) from None
    stack = _loading.__dict__.setdefault("stack", [])
    if str(path) in stack:
        names = " → ".join(_display(Path(p)) for p in stack[stack.index(str(path)):] + [str(path)])
        raise RulesetError([f"{_display(path)}: the ruleset requires itself through {names}; fix: break the cycle"])
    stack.append(str(path))
    try:
        return _load_path(path, chain=())
    finally:
        stack.pop()


def _load_path(path: Path, chain: tuple[str, ...]) -> Ruleset:
    """A set's file and its parents' as one validated set, from the caches when its identity is
    known there (the parent `extends:` finds now is always looked up again)."""
    if str(path) in chain:
        through = " → ".join(_display(Path(p)) for p in chain)
        raise RulesetError([f"{_display(path)}: extends: the ruleset extends itself through {through}; fix: break the cycle"])
    digest, raw = cache.file_digest_of(path, read_ruleset_bytes)
    extends = cache.known_extends(digest)
    entry = None
    if extends is None:
        entry = cache.read_entry(digest)
        extends = (entry.get("extends") or "") if entry is not None else None
        if isinstance(extends, str):
            cache.remember_extends(digest, extends)
    if extends is not None:
        parent = _parent(path, extends, chain) if extends else None
        found_identity = identity.of_files(digest, parent.sha256 if parent else None)
        found = cache.get(found_identity, path)
        if found is None and entry is None:
            entry = cache.read_entry(digest)
        if found is None and entry is not None and entry.get("identity") == found_identity:
            found = _from_entry(entry, path)
        if found is not None:
            _load_verdict_targets(found, path)
            cache.put(found_identity, path, found)
            return found
    if raw is None:
        raw = read_ruleset_bytes(path)
        digest = identity.file_digest(raw)
    return _validated(path, raw, digest, chain)


def _parent(path: Path, extends: str, chain: tuple[str, ...]) -> Ruleset:
    try:
        parent_path = find_ruleset_id(extends, beside=path.parent).resolve()
    except RulesetError as error:
        raise RulesetError([f"{_display(path)}: extends: {p}" for p in error.problems]) from None
    return _load_path(parent_path, chain + (str(path),))


def _validated(path: Path, raw: bytes, digest: str, chain: tuple[str, ...]) -> Ruleset:
    """Read, merge with the parent, validate and check a set's file; cache it by its identity."""
    name = _display(path)
    data, raw = read_yaml(path, raw)
    _refuse_impossible_period(data, name)
    extends_id = data.get("extends") if isinstance(data.get("extends"), str) else None
    cache.remember_extends(digest, extends_id)
    parent, overridden = None, None
    if extends_id is not None:
        parent = _parent(path, extends_id, chain)
        data, overridden, problems = inherit.merge(parent, data, name)
        if problems:
            raise RulesetError(problems)
    try:
        ruleset = Ruleset.model_validate(data)
    except ValidationError as error:
        raise RulesetError(validation_problems(name, data, error))
    inherit.record_origins(ruleset, parent, overridden)
    problems = check_ruleset(ruleset, name)
    if parent is not None and not problems:  # (it walks the years: only once they are known to be sane)
        problems += inherit.check_against_parent(ruleset, parent, name)
    if problems:
        raise RulesetError(problems)
    found_identity = identity.of_files(digest, parent.sha256 if parent else None)
    _finish(ruleset, path, found_identity)
    _load_verdict_targets(ruleset, path)
    cache.write_entry(digest, _entry_of(ruleset, extends_id, parent.sha256 if parent else None))
    cache.put(found_identity, path, ruleset)
    return ruleset


def _finish(ruleset: Ruleset, path: Path, found_identity: str) -> None:
    private = object.__getattribute__(ruleset, "__pydantic_private__")
    private["_path"], private["_sha256"] = str(path), found_identity
    if not private["_sealed"]:  # (a set built from the disk cache comes sealed)
        seal(ruleset)


def _origin_slots(ruleset: Ruleset):
    """Every assignment and threshold of a set, in one order (their origins are kept on disk)."""
    for criterion in ruleset.criteria:
        yield criterion.department
        for indicator in criterion.indicators:
            if indicator.department is not None:
                yield indicator.department
            for check in indicator.all_checks():
                for entries in check.thresholds.values():
                    yield from entries if isinstance(entries, list) else [entries]


def _entry_of(ruleset: Ruleset, extends: str | None, parent_identity: str | None) -> dict:
    return {"extends": extends, "parent": parent_identity, "identity": ruleset.sha256,
            "set": ruleset.model_dump(mode="json"),
            "origins": [slot._origin for slot in _origin_slots(ruleset)],
            "lineage": {key: list(value) for key, value in ruleset._lineage.items()}}


def _from_entry(entry: dict, path: Path) -> Ruleset | None:
    """A set from a disk entry (data, validated again by the schema); None when it does not fit."""
    try:
        ruleset = constructed(Ruleset, entry["set"])
        slots = list(_origin_slots(ruleset))
        origins = entry["origins"]
        if len(slots) != len(origins) or not all(isinstance(o, str) for o in origins):
            return None
        for slot, origin in zip(slots, origins):
            slot._origin = origin
        ruleset._lineage = {str(k): tuple(v) for k, v in dict(entry["lineage"]).items()}
    except (KeyError, TypeError, ValueError, AttributeError, StopIteration, RecursionError):
        return None
    _finish(ruleset, path, entry["identity"])
    return ruleset


def _refuse_impossible_period(data: dict, name: str) -> None:
    """A period outside the years a criteria set can cover ends validation at once, in one line,
    before anything walks its years (a hostile `to: 300000000` would otherwise take minutes)."""
    period = data.get("period")
    if not isinstance(period, dict):
        return
    first, last = period.get("from"), period.get("to")
    years = [y for y in (first, last) if isinstance(y, int) and not isinstance(y, bool)]
    if any(not PERIOD_YEARS[0] <= y <= PERIOD_YEARS[1] for y in years):
        shown = "–".join(_plain_year(y) if isinstance(y, int) else "?" for y in (first, last))
        raise RulesetError([f"{name}: period: {shown} is outside the years a criteria set can cover; "
                            f"fix: write years from {PERIOD_YEARS[0]} to {PERIOD_YEARS[1]}"])


def _plain_year(year: int) -> str:
    return str(year) if abs(year) < 10 ** 12 else f"a number of {len(str(abs(year)))} digits"


_verdict_targets = cache.Bounded(64)  # a set's identity → the ids of the sets whose verdict it requires


def _load_verdict_targets(ruleset: Ruleset, path: Path) -> None:
    targets = _verdict_targets.of(ruleset.sha256, lambda: sorted({
        c.verdict_of for cr in ruleset.criteria for i in cr.indicators for c in i.all_checks() if c.verdict_of}))
    for target in targets:
        try:
            required = load_named_by(ruleset, target)
        except RulesetError as error:
            raise RulesetError([f"{_display(path)}: verdict_of {target}: {p}" for p in error.problems]) from None
        if required.status == "draft":
            raise RulesetError([f"{_display(path)}: verdict_of {target}: {target} is a draft (its values are still to "
                                "be filled), so it decides no verdict; fix: complete it (status: final), or name a set "
                                "that is final"])


def load_named_by(ruleset: Ruleset, ruleset_id: str) -> Ruleset:
    """A ruleset that another one names (the parent it extends, or one whose verdict it requires),
    looked for beside it first, then by id."""
    return load_ruleset(find_ruleset_id(ruleset_id, beside=Path(ruleset.path).parent if ruleset.path else None))


def load_ruleset_id(ruleset_id: str) -> Ruleset:
    """A ruleset named by a document or a batch row: by id only."""
    return load_ruleset(find_ruleset_id(ruleset_id))
