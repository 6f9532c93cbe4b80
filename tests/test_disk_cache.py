"""The ruleset cache on disk: used when the file is unchanged, never stale, safe to break or delete."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ntm_rules.law import disk_cache, load

ROOT = Path(__file__).resolve().parent.parent
TINY = Path(__file__).resolve().parent / "rulesets" / "tiny.yaml"


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("NTM_CACHE_DIR", str(folder))
    load._cache.clear()
    yield folder
    load._cache.clear()


def test_a_loaded_set_is_stored_and_read_back(cache, tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_bytes(TINY.read_bytes())
    first = load.load_ruleset(path)
    assert len(list(cache.glob("*.pickle"))) == 1
    load._cache.clear()
    second = load.load_ruleset(path)
    assert second == first and second.sha256 == first.sha256 and second.path == first.path


def test_a_changed_file_is_never_served_from_the_cache(cache, tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_bytes(TINY.read_bytes())
    assert load.load_ruleset(path).criteria[1].indicators[0].thresholds["all"].value == 90
    load._cache.clear()
    path.write_text(TINY.read_text("utf-8").replace("value: 90", "value: 95"), "utf-8")
    assert load.load_ruleset(path).criteria[1].indicators[0].thresholds["all"].value == 95


def test_a_broken_entry_is_a_miss(cache, tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_bytes(TINY.read_bytes())
    expected = load.load_ruleset(path)
    for entry in cache.glob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    load._cache.clear()
    assert load.load_ruleset(path) == expected


def test_a_child_is_reloaded_when_its_parent_changes(cache, tmp_path):
    parent = tmp_path / "tiny.yaml"
    parent.write_bytes(TINY.read_bytes())
    child = tmp_path / "child.yaml"
    child.write_text((Path(__file__).resolve().parent / "rulesets" / "child-ok.yaml").read_text("utf-8"), "utf-8")
    before = load.load_ruleset(child)
    load._cache.clear()
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
    assert list((tmp_path / "c").glob("*.pickle"))
    assert disk_cache.folder() is not None


def test_a_new_parent_found_by_extends_is_never_hidden_by_the_cache(cache, tmp_path, monkeypatch):
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
    load._cache.clear()
    beside = child_folder / "tiny.yaml"  # the same id, now beside the child: extends finds it first
    beside.write_text(TINY.read_text("utf-8").replace("value: 90", "value: 70"), "utf-8")
    second = load.load_ruleset(child)
    assert second.sha256 != first.sha256 and second.criteria[1].indicators[0].thresholds["all"].value == 70
    load._cache.clear()
    beside.unlink()  # gone again: back to the national one, never "no such file"
    assert load.load_ruleset(child).sha256 == first.sha256


def test_a_folder_others_can_write_into_is_not_used(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("NTM_CACHE_DIR", str(shared))
    load._cache.clear()
    path = tmp_path / "tiny.yaml"
    path.write_bytes(TINY.read_bytes())
    load.load_ruleset(path)
    assert not list(shared.iterdir())
    load._cache.clear()
