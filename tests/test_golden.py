"""Every shipped fixture gives exactly the bytes of `--format json` it gave before the result was
redesigned (tests/golden/, see its README)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
FIXTURES = sorted((ROOT / "fixtures").glob("*.json")) + sorted((ROOT / "fixtures" / "model").glob("*.json"))


def holds(before, now, where="$") -> list[str]:
    """Where `now` lacks or changes something of `before` (dicts may gain keys)."""
    if isinstance(before, dict):
        if not isinstance(now, dict):
            return [where]
        return [p for k, v in before.items() for p in (holds(v, now[k], f"{where}.{k}") if k in now else [f"{where}.{k}"])]
    if isinstance(before, list):
        if not isinstance(now, list) or len(before) != len(now):
            return [where]
        return [p for i, (a, b) in enumerate(zip(before, now)) for p in holds(a, b, f"{where}[{i}]")]
    return [] if before == now and type(before) is type(now) else [f"{where}: {before!r} → {now!r}"]


def test_every_fixture_has_a_golden_file():
    assert {p.stem for p in FIXTURES} == {p.stem for p in GOLDEN.glob("*.json")}


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_json_output_is_what_it_was(fixture):
    done = subprocess.run([sys.executable, "-m", "ntm_rules", str(fixture), "--format", "json"], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert done.returncode in (0, 1), done.stderr
    golden = (GOLDEN / f"{fixture.stem}.json").read_text("utf-8")
    before = json.loads(golden)
    assert holds(before, json.loads(done.stdout)) == []  # (names the first field that differs)
    assert done.stdout == golden


def test_the_comparison_sees_a_changed_value():
    before = json.loads((GOLDEN / "tan-cuong-attains-2020.json").read_text("utf-8"))
    changed = json.loads(json.dumps(before))
    changed["criteria"][0]["indicators"][0]["status"] = "not_met"
    assert holds(before, changed) == ["$.criteria[0].indicators[0].status: 'met' → 'not_met'"]
    changed = {**before, "extra": 1}
    assert holds(before, changed) == []
