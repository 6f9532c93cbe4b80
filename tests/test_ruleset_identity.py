"""The ruleset cache on disk: used when the file is unchanged, never stale, safe to break or delete."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ntm_rules.law import cache as law_cache, load

ROOT = Path(__file__).resolve().parent.parent
TINY = Path(__file__).resolve().parent / "rulesets" / "tiny.yaml"


@pytest.fixture()
def cache_folder(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("NTM_CACHE_DIR", str(folder))
    law_cache.forget()
    yield folder
    law_cache.forget()


def test_a_loaded_set_is_stored_and_read_back(cache_folder, tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_bytes(TINY.read_bytes())
    first = load.load_ruleset(path)
    assert len(list(cache_folder.glob("*.json"))) == 1
    law_cache.forget()
    second = load.load_ruleset(path)
    assert second is not first  # read back from the disk
    assert second == first and second.sha256 == first.sha256 and second.path == first.path
    from ntm_rules.errors import RulesetError
    with pytest.raises(RulesetError):  # sealed as the set it was written from
        second.criteria[1].indicators[0].thresholds["all"].value = 1


def test_a_changed_file_is_never_served_from_the_cache(cache_folder, tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_bytes(TINY.read_bytes())
    assert load.load_ruleset(path).criteria[1].indicators[0].thresholds["all"].value == 90
    law_cache.forget()
    path.write_text(TINY.read_text("utf-8").replace("value: 90", "value: 95"), "utf-8")
    assert load.load_ruleset(path).criteria[1].indicators[0].thresholds["all"].value == 95


def test_a_broken_entry_is_a_miss(cache_folder, tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_bytes(TINY.read_bytes())
    expected = load.load_ruleset(path)
    for entry in cache_folder.glob("*.json"):
        entry.write_bytes(b"not json {")
    law_cache.forget()
    assert load.load_ruleset(path) == expected


def test_a_child_is_reloaded_when_its_parent_changes(cache_folder, tmp_path):
    parent = tmp_path / "tiny.yaml"
    parent.write_bytes(TINY.read_bytes())
    child = tmp_path / "child.yaml"
    child.write_text((Path(__file__).resolve().parent / "rulesets" / "child-ok.yaml").read_text("utf-8"), "utf-8")
    before = load.load_ruleset(child)
    law_cache.forget()
    parent.write_text(TINY.read_text("utf-8").replace("value: 90", "value: 80"), "utf-8")
    after = load.load_ruleset(child)
    assert before.sha256 != after.sha256
    assert after.criteria[1].indicators[0].thresholds["all"].value == 80


def test_the_cache_can_be_turned_off_and_the_cli_gives_the_same_answer(tmp_path):
    fixture = ROOT / "fixtures" / "phu-thuong-fails-several-2019.json"
    outputs = []
    for setting in ("", str(tmp_path / "c"), str(tmp_path / "c")):
        env = {**os.environ, "NTM_CACHE_DIR": setting}
        done = subprocess.run([sys.executable, "-m", "ntm_rules", str(fixture), "--format", "json"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=60)
        outputs.append(json.loads(done.stdout))
    assert outputs[0] == outputs[1] == outputs[2]
    assert list((tmp_path / "c").glob("*.json"))
    assert law_cache.folder() is not None


def test_a_new_parent_found_by_extends_is_never_hidden_by_the_cache(cache_folder, tmp_path, monkeypatch):
    national = tmp_path / "national"
    national.mkdir()
    (national / "tiny.yaml").write_bytes(TINY.read_bytes())
    monkeypatch.setenv("NTM_RULESETS_PATH", str(national))
    child_folder = tmp_path / "child"
    child_folder.mkdir()
    child = child_folder / "child.yaml"
    child.write_text((Path(__file__).resolve().parent / "rulesets" / "child-ok.yaml").read_text("utf-8")
                     .replace("extends: tiny.yaml", "extends: tiny"), "utf-8")
    first = load.load_ruleset(child)
    law_cache.forget()
    beside = child_folder / "tiny.yaml"  # the same id, now beside the child: extends finds it first
    beside.write_text(TINY.read_text("utf-8").replace("value: 90", "value: 70"), "utf-8")
    second = load.load_ruleset(child)
    assert second.sha256 != first.sha256 and second.criteria[1].indicators[0].thresholds["all"].value == 70
    law_cache.forget()
    beside.unlink()  # gone again: back to the national one, never "no such file"
    assert load.load_ruleset(child).sha256 == first.sha256


def test_a_folder_others_can_write_into_is_not_used(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("NTM_CACHE_DIR", str(shared))
    law_cache.forget()
    path = tmp_path / "tiny.yaml"
    path.write_bytes(TINY.read_bytes())
    load.load_ruleset(path)
    assert not list(shared.iterdir())
    law_cache.forget()


# ------------------------------------------------------------- one identity per set (issue 24)

REGIONS = ["northern_midlands_mountains", "red_river_delta", "north_central_coast", "south_central_coast",
           "central_highlands", "southeast", "mekong_delta"]
COPY_SCRIPT = r"""
import json, sys
import ntm_rules
from ntm_rules.law.load import load_ruleset
order = sys.argv[1]
document = json.loads(sys.argv[2])
shipped = load_ruleset("vn-2016-2020")
copy = shipped.model_copy(deep=True)
check = next(i for c in copy.criteria for i in c.indicators if i.field == "employment_rate_pct")
check.thresholds["all" if "all" in check.thresholds else document["region"]].value = document["data"]["employment_rate_pct"] + 5
out = {}
for name in (["copy", "shipped", "copy"] if order == "copy first" else ["shipped", "copy", "shipped"]):
    a = ntm_rules.assess(document, ruleset=copy if name == "copy" else shipped)
    out.setdefault(name, []).append([a.ruleset.sha256, next(i.status for i in a.indicators() if i.field == "employment_rate_pct")])
print(json.dumps(out))
"""


@pytest.mark.parametrize("order", ["copy first", "shipped first"])
def test_a_changed_copy_of_a_set_is_a_set_of_its_own(order, tmp_path):
    from ntm_rules.law.load import load_ruleset
    from ntm_rules.law.resolve import resolve

    shipped = load_ruleset("vn-2016-2020")
    region = "red_river_delta"
    at = next(c.threshold for _, c in resolve(shipped, region, 2019).checks if c.field == "employment_rate_pct")
    assert at <= 95
    document = {"commune": {"name": "Xã A"}, "region": region, "year": 2019, "data": {"employment_rate_pct": at}}
    done = subprocess.run([sys.executable, "-c", COPY_SCRIPT, order, json.dumps(document)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "NTM_CACHE_DIR": str(tmp_path / "c")})
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert {tuple(x) for x in out["shipped"]} == {(shipped.sha256, "met")}
    copies = {tuple(x) for x in out["copy"]}
    assert len(copies) == 1 and next(iter(copies))[1] == "not_met" and next(iter(copies))[0] != shipped.sha256


def test_a_copy_changed_again_after_it_was_assessed_is_assessed_as_it_is_now():
    import ntm_rules
    from ntm_rules.law.load import load_ruleset

    copy = load_ruleset("vn-2016-2020").model_copy(deep=True)
    indicator = next(i for c in copy.criteria for i in c.indicators if i.field == "employment_rate_pct")
    document = {"commune": {"name": "Xã A"}, "region": "southeast", "year": 2019, "data": {"employment_rate_pct": 85}}
    entry = indicator.thresholds.get("all") or indicator.thresholds["southeast"]
    entry.value = 80
    first = ntm_rules.assess(document, ruleset=copy)
    entry.value = 90
    second = ntm_rules.assess(document, ruleset=copy)
    status = [next(i.status for i in a.indicators() if i.field == "employment_rate_pct") for a in (first, second)]
    assert status == ["met", "not_met"] and first.ruleset.sha256 != second.ruleset.sha256


def test_a_loaded_set_is_not_changed_in_place():
    from ntm_rules.errors import RulesetError
    from ntm_rules.law.load import load_ruleset

    shipped = load_ruleset("vn-2016-2020")
    threshold = next(iter(shipped.criteria[9].indicators[0].thresholds.values()))
    entry = threshold[0] if isinstance(threshold, list) else threshold
    with pytest.raises(RulesetError, match="copy"):
        entry.value = 1
    with pytest.raises(RulesetError):
        shipped.title = shipped.title
    shallow = shipped.model_copy(update={"id": "my-copy"})
    assert shallow.id == "my-copy" and shallow.sha256 != shipped.sha256 and shipped.id == "vn-2016-2020"


def _same_size_and_time(path: Path, text: str) -> None:
    """Write a file again with its old size and modification time (as `cp -p` of a same-size file)."""
    info = path.stat()
    assert len(text.encode()) == info.st_size
    path.write_text(text, "utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert path.stat().st_size == info.st_size and path.stat().st_mtime_ns == info.st_mtime_ns


def _family(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    parent = folder / "tiny.yaml"
    parent.write_bytes(TINY.read_bytes())
    child = folder / "tiny-province.yaml"
    child.write_text((Path(__file__).resolve().parent / "rulesets" / "child-ok.yaml").read_text("utf-8")
                     .replace("extends: tiny.yaml", "extends: tiny"), "utf-8")
    return parent, child


def test_a_parent_replaced_under_a_child_is_read_again_by_the_library(cache_folder, tmp_path):
    from ntm_rules.law.resolve import resolve

    parent, child = _family(tmp_path / "sets")
    before = load.load_ruleset(child)
    employment = lambda rs: next(c.threshold for _, c in resolve(rs, "southeast", 2019).checks  # noqa: E731
                                 if c.field == "employment_rate_pct")
    assert employment(before) == 90
    _same_size_and_time(parent, TINY.read_text("utf-8").replace("value: 90", "value: 95"))
    after = load.load_ruleset(child)  # the same process, nothing forgotten
    assert employment(after) == 95 and after.sha256 != before.sha256
    law_cache.forget()  # and a new process finds the disk entry of the old parent useless
    assert employment(load.load_ruleset(child)) == 95


def test_a_parent_replaced_under_a_child_is_read_again_by_a_running_service(tmp_path):
    import httpx

    from test_service import Server

    parent, child = _family(tmp_path / "sets")
    document = {"commune": {"name": "Xã A"}, "region": "southeast", "year": 2020,
                "data": {"income_per_capita_million_vnd": 50, "employment_rate_pct": 92, "trained_workers_pct": 60}}
    server = Server(tmp_path, env={"NTM_RULESETS_PATH": str(tmp_path / "sets"), "NTM_CACHE_DIR": str(tmp_path / "c")})
    try:
        first = httpx.post(server.url + "/v1/assess?ruleset=tiny-province", json=document, timeout=30)
        assert first.status_code == 200 and first.json()["attained"] is True, first.text
        _same_size_and_time(parent, TINY.read_text("utf-8").replace("value: 90", "value: 95"))
        second = httpx.post(server.url + "/v1/assess?ruleset=tiny-province", json=document, timeout=30)
        assert second.status_code == 200 and second.json()["attained"] is False, second.text
        assert second.json()["ruleset"]["sha256"] != first.json()["ruleset"]["sha256"]
        cli = subprocess.run([sys.executable, "-m", "ntm_rules", "-", "--ruleset", "tiny-province", "--format", "json"],
                             input=json.dumps(document), capture_output=True, text=True, timeout=60,
                             env={**os.environ, "NTM_RULESETS_PATH": str(tmp_path / "sets")})
        assert json.loads(cli.stdout)["attained"] is False and cli.returncode == 1
    finally:
        server.stop()


def test_a_child_tightening_one_region_keeps_the_parents_other_regions(tmp_path):
    from ntm_rules.law.resolve import resolve

    folder = tmp_path / "sets"
    folder.mkdir()
    text = TINY.read_text("utf-8").replace(
        "        thresholds: {all: {value: 90, source: page, verified: true}}",
        "        thresholds:\n" + "".join(f"          {r}: {{value: 36, source: page, verified: true}}\n" for r in REGIONS))
    (folder / "tiny.yaml").write_text(text, "utf-8")
    (folder / "tight.yaml").write_text("""id: tight
extends: tiny
title: {vi: Bộ của tỉnh, en: Province set}
period: {from: 2019, to: 2020}
sources:
  province-decision: {url: https://example.org/province}
criteria:
  "2":
    indicators:
      "2":
        thresholds:
          red_river_delta: {value: 45, source: province-decision, verified: true}
""", "utf-8")
    rs = load.load_ruleset(folder / "tight.yaml")
    for region in REGIONS:
        check = next(c for _, c in resolve(rs, region, 2020).checks if c.field == "employment_rate_pct")
        expected = (45, "tight") if region == "red_river_delta" else (36, "tiny")
        assert (check.threshold, check.origin) == expected, region


def test_every_module_validation_reads_is_in_the_disk_caches_key(tmp_path, monkeypatch):
    """The disk cache's key covers the source of every module the law package imports (limits,
    regions, ...), and any change to one of them is another key."""
    import ast
    import shutil

    from ntm_rules.law import identity

    package = ROOT / "ntm_rules"
    covered = {p.resolve() for pattern in identity._VALIDATING for p in package.glob(pattern)}
    seen, todo = set(), [p for p in (package / "law").glob("*.py")]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        for node in ast.walk(ast.parse(module.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = module.parent
                for _ in range(node.level - 1):
                    base = base.parent
                for name in ([node.module] if node.module else [a.name for a in node.names]):
                    target = base.joinpath(*name.split("."))
                    for candidate in (target.with_suffix(".py"), target / "__init__.py"):
                        if candidate.exists():
                            todo.append(candidate.resolve())
    assert seen <= covered, sorted(str(p) for p in seen - covered)
    copy = tmp_path / "ntm_rules"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(identity, "_PACKAGE", copy)
    identity.code_digest.cache_clear()
    before = identity.code_digest()
    for changed in ("limits.py", "regions.py", "law/load.py", "files/numbers.py", "data/regions.yaml"):
        with open(copy / changed, "a", encoding="utf-8") as handle:
            handle.write("\n# changed\n")
        identity.code_digest.cache_clear()
        after = identity.code_digest()
        assert after != before, changed
        before = after
    identity.code_digest.cache_clear()


def _poisoned_entry(cache_folder: Path, path: Path) -> tuple[str, bytes]:
    """(the entry's name, the bytes of an entry saying the set's threshold is 1 instead of 90)."""
    entries = list(cache_folder.glob("*.json"))
    assert len(entries) == 1
    entry = json.loads(entries[0].read_bytes().partition(b"\n")[2])  # (its first line: its own sha256)
    for criterion in entry["set"]["criteria"]:
        for indicator in criterion["indicators"]:
            if indicator.get("field") == "employment_rate_pct":
                indicator["thresholds"]["all"]["value"] = 1
    data = json.dumps(entry).encode()
    return entries[0].name, hashlib.sha256(data).hexdigest().encode() + b"\n" + data


def test_an_entry_damaged_since_it_was_written_is_never_loaded(cache_folder, tmp_path):
    """Each entry carries its own sha256: one changed since (a threshold edited, a byte lost, a
    line moved) is rebuilt from the set's file, never read; the same entry whole is read."""
    path = tmp_path / "tiny.yaml"
    path.write_bytes(TINY.read_bytes())
    assert _employment_threshold(path) == 90
    name, poison = _poisoned_entry(cache_folder, path)
    check, _, data = poison.partition(b"\n")
    for damaged in (data.replace(b'"value": 1', b'"value": 95'), data[:-1], data + b" "):
        (cache_folder / name).write_bytes(check + b"\n" + damaged)
        assert _employment_threshold(path) == 90
    (cache_folder / name).write_bytes(poison)
    assert _employment_threshold(path) == 1  # (what a whole entry says is read: it is the user's own)


def _employment_threshold(path: Path) -> float:
    law_cache.forget()
    rs = load.load_ruleset(path)
    return next(i for c in rs.criteria for i in c.indicators if i.field == "employment_rate_pct").thresholds["all"].value


def test_a_planted_link_a_foreign_entry_or_a_swapped_folder_is_never_loaded(cache_folder, tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_bytes(TINY.read_bytes())
    assert _employment_threshold(path) == 90
    name, poison = _poisoned_entry(cache_folder, path)
    planted = tmp_path / "elsewhere" / "entry.json"
    planted.parent.mkdir()
    planted.write_bytes(poison)
    (cache_folder / name).write_bytes(poison)  # the user's own entry, as data: it is what the folder says
    assert _employment_threshold(path) == 1  # (the poisoned entry is read when it is the user's own)
    (cache_folder / name).unlink()
    (cache_folder / name).symlink_to(planted)  # a link to someone's file
    assert _employment_threshold(path) == 90
    (cache_folder / name).unlink()
    (cache_folder / name).write_bytes(poison)
    (cache_folder / name).chmod(0o666)  # writable by others
    assert _employment_threshold(path) == 90
    if os.getuid() == 0:  # owned by another user
        (cache_folder / name).write_bytes(poison)
        (cache_folder / name).chmod(0o600)
        os.chown(cache_folder / name, 4242, 4242)
        assert _employment_threshold(path) == 90
    swapped = tmp_path / "attacker"
    swapped.mkdir()
    (swapped / name).write_bytes(poison)
    os.rename(cache_folder, tmp_path / "old-cache")
    os.symlink(swapped, cache_folder)  # the folder itself replaced by a link
    assert _employment_threshold(path) == 90
    os.unlink(cache_folder)
    if os.getuid() == 0:
        os.rename(swapped, cache_folder)  # a real folder owned by another user
        os.chown(cache_folder, 4242, 4242)
        assert _employment_threshold(path) == 90


def test_no_pickle_is_ever_loaded_from_the_cache(cache_folder, tmp_path):
    import pickle

    path = tmp_path / "tiny.yaml"
    path.write_bytes(TINY.read_bytes())
    _employment_threshold(path)
    marker = tmp_path / "ran"

    class Runs:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    for entry in cache_folder.glob("*.json"):
        entry.write_bytes(pickle.dumps(Runs()))
    assert _employment_threshold(path) == 90 and not marker.exists()
    assert "pickle" not in (ROOT / "ntm_rules" / "law" / "cache.py").read_text("utf-8").replace("no pickle", "")


def test_a_link_swapped_in_while_the_cache_is_read_is_never_loaded(cache_folder, tmp_path):
    """The race of the last attack: another user swaps an entry for a link to their own file (and
    back) as fast as they can while the victim loads the set again and again."""
    import threading

    path = tmp_path / "tiny.yaml"
    path.write_bytes(TINY.read_bytes())
    assert _employment_threshold(path) == 90
    name, poison = _poisoned_entry(cache_folder, path)
    honest = (cache_folder / name).read_bytes()
    planted = tmp_path / "planted.json"
    planted.write_bytes(poison)
    stop = threading.Event()

    def attacker():
        link, real = cache_folder / ".link", cache_folder / ".real"
        while not stop.is_set():
            try:
                os.symlink(planted, link)
                os.replace(link, cache_folder / name)
                real.write_bytes(honest)
                os.replace(real, cache_folder / name)
            except OSError:
                pass

    thread = threading.Thread(target=attacker, daemon=True)
    thread.start()
    try:
        seen = {_employment_threshold(path) for _ in range(3000)}
    finally:
        stop.set()
        thread.join()
    assert seen == {90}


def test_an_impossible_period_answers_at_once_in_one_line(tmp_path):
    import time

    hostile = tmp_path / "hostile.yaml"
    hostile.write_text(TINY.read_text("utf-8").replace("period: {from: 2019, to: 2020}",
                                                       "period: {from: 1, to: 300000000}"), "utf-8")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "ntm_rules", "validate", str(hostile)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "NTM_CACHE_DIR": ""})
    elapsed = time.perf_counter() - start
    assert done.returncode == 2 and "period" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    start = time.perf_counter()
    with pytest.raises(Exception):
        load.load_ruleset(hostile)
    assert time.perf_counter() - start < 1.0
    assert elapsed < 10  # the whole command, interpreter start included


def test_what_is_built_from_a_resolved_set_is_built_once_and_never_pickled():
    """The kernel, statics, facts and rules' name of a resolved set are kept with it (`made`): built
    once, found again without a lookup, left out when it is pickled (an Assessment pickled with its
    set's statics carries none of them) and built again on the other side."""
    import pickle

    import ntm_rules
    from ntm_rules.law.resolve import resolve
    from ntm_rules.statics import statics_of

    resolved = resolve(load.load_ruleset("vn-2016-2020"), "red_river_delta", 2020)
    calls = []
    assert resolved.made("probe", lambda r: calls.append(r) or len(calls)) == 1
    assert resolved.made("probe", lambda r: calls.append(r) or len(calls)) == 1 and calls == [resolved]
    assert statics_of(resolved) is statics_of(resolved)
    again = pickle.loads(pickle.dumps(resolved))
    assert again.built == {} and again == resolved and "probe" in resolved.built
    document = json.loads((ROOT / "fixtures" / "tan-cuong-attains-2020.json").read_text("utf-8"))
    assessment = ntm_rules.assess(document)
    copied = pickle.loads(pickle.dumps(assessment))
    assert copied.statics.resolved.built.keys() <= {"statics", "kernel"}  # built again where read, not carried
    assert copied.model_dump() == assessment.model_dump() and copied.outcome == assessment.outcome
