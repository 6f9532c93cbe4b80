"""Files written only where meant, sets that cannot lie, and exit 2 for what is the world's fault
(the input, a folder, a database), 3 only for a bug of ours."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import attaining_document

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "rulesets" / "tiny.yaml"


def cli(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "ntm_rules", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=cwd or ROOT, env={**os.environ, **(env or {})})


@pytest.fixture()
def communes(tmp_path) -> Path:
    path = tmp_path / "communes.jsonl"
    rows = [dict(attaining_document("vn-2016-2020", "red_river_delta", 2020), commune={"name": f"Xã {k}"})
            for k in range(3)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture()
def victim(tmp_path) -> Path:
    path = tmp_path / "victim.txt"
    path.write_text("precious", "utf-8")
    return path


# ------------------------------------------------------------------------------------------ files

def test_a_link_planted_as_the_batch_lock_is_not_followed(tmp_path, communes, victim):
    out = tmp_path / "out"
    out.mkdir(mode=0o755)
    (out / ".ntm-batch.lock").symlink_to(victim)
    done = cli("batch", communes, "--out", out)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert victim.read_text("utf-8") == "precious"


def test_links_planted_in_the_partial_folder_are_not_followed(tmp_path, communes, victim):
    out = tmp_path / "out"
    (out / "partial").mkdir(parents=True)
    os.chmod(out, 0o755)
    for name in ("assessments-000001.jsonl.tmp", "rejected-000001.jsonl.tmp"):
        (out / "partial" / name).symlink_to(victim)
    (out / "assessments.jsonl.partial").symlink_to(victim)
    done = cli("batch", communes, "--out", out, "--overwrite")
    assert done.returncode == 0, done.stderr
    assert victim.read_text("utf-8") == "precious"
    assert len((out / "assessments.jsonl").read_text("utf-8").splitlines()) == 3


def test_a_folder_others_can_write_into_is_refused_for_outputs(tmp_path, communes):
    out = tmp_path / "shared"
    out.mkdir()
    out.chmod(0o777)
    done = cli("batch", communes, "--out", out)
    assert done.returncode == 2 and "chmod go-w" in done.stderr and not (out / "summary.json").exists()


def test_a_batch_into_the_partial_folder_of_a_running_batch_is_refused(tmp_path, communes):
    out = tmp_path / "out"
    (out / "partial").mkdir(parents=True)
    os.chmod(out, 0o755)
    with open(out / ".ntm-batch.lock", "w") as held:  # a batch running in `out`
        fcntl.flock(held, fcntl.LOCK_EX)
        done = cli("batch", communes, "--out", out / "partial")
    assert done.returncode == 2 and ("đang ghi" in done.stderr or "another batch" in done.stderr), done.stderr
    assert not (out / "partial" / "summary.json").exists()


def test_the_imports_trial_file_never_follows_a_link(tmp_path, victim):
    from ntm_rules.errors import InputError
    from ntm_rules.law import tables
    from ntm_rules.law.load import load_ruleset

    workbook = tables.export(load_ruleset("vn-2016-2020"), tmp_path / "bang.xlsx")
    out = tmp_path / "sets"
    out.mkdir()
    (out / f".vn-2016-2020.{os.getpid()}.check.yaml").symlink_to(victim)
    with pytest.raises(InputError):
        tables.import_workbook(workbook, out)
    assert victim.read_text("utf-8") == "precious"
    assert not (out / "vn-2016-2020.yaml").exists()


# ------------------------------------------------------------------------------------------- sets

def test_a_table_cannot_extend_itself(tmp_path):
    workbook = tmp_path / "bang.xlsx"
    assert cli("rulesets", "export", "vn-2016-2020", "--out", workbook).returncode == 0
    out = tmp_path / "sets"
    done = cli("rulesets", "import", workbook, "--out", f"{out}/", "--extends", "vn-2016-2020")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert not list(out.glob("*.yaml")) if out.exists() else True
    # the national set is still usable with that folder installed
    assert cli("rulesets", "show", "vn-2016-2020", env={"NTM_RULESETS_PATH": str(out)}).returncode == 0


@pytest.mark.parametrize("change, says", [
    (lambda t: t.replace("verified: true}}\n", "verified: true}}\nfields:\n  employment_rate_pct: {label: {vi: a, en: a}, "
                         "range: [.nan, .inf]}\n", 1), "range"),
    (lambda t: t.replace("verified: true}}\n", "verified: true}}\nfields:\n  employment_rate_pct: {label: {vi: a, en: a}, "
                         "range: [100, 0]}\n", 1), "range"),
    (lambda t: t.replace("page: {url: https://example.org/page}", "page: {url: \"javascript:alert(1)\"}"), "url"),
])
def test_a_set_cannot_lie(tmp_path, change, says):
    text = change(TINY.read_text("utf-8"))
    assert text != TINY.read_text("utf-8")
    path = tmp_path / "tiny.yaml"
    path.write_text(text, "utf-8")
    done = cli("validate", path, env={"NTM_CACHE_DIR": ""})
    assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr, done.stdout + done.stderr


def test_a_draft_decides_no_verdict(tmp_path):
    folder = tmp_path / "sets"
    folder.mkdir()
    for name in ("vn-2016-2020.yaml", "vn-model-2018-2020.yaml"):
        shutil.copy(ROOT / "rulesets" / name, folder / name)
    national = folder / "vn-2016-2020.yaml"
    national.write_text(national.read_text("utf-8").replace("\nid: vn-2016-2020\n", "\nid: vn-2016-2020\nstatus: draft\n",
                                                            1), "utf-8")
    assert "status: draft" in national.read_text("utf-8")
    done = cli("validate", folder / "vn-model-2018-2020.yaml", env={"NTM_RULESETS_PATH": str(folder),
                                                                      "NTM_CACHE_DIR": ""})
    assert done.returncode == 2 and "draft" in done.stderr, done.stdout + done.stderr


# ------------------------------------------------------------------------------------- exit codes

def test_a_damaged_table_or_one_declaring_entities_is_exit_2(tmp_path):
    workbook = tmp_path / "bang.xlsx"
    assert cli("rulesets", "export", "vn-2016-2020", "--out", workbook).returncode == 0
    with zipfile.ZipFile(workbook) as source:
        items = [(info, source.read(info)) for info in source.infolist()]
    truncated, entity = tmp_path / "truncated.xlsx", tmp_path / "entity.xlsx"
    for target, change in ((truncated, lambda data: data[: len(data) // 2]),
                           (entity, lambda data: b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM '
                                                 b'"file:///etc/passwd">]>' + data.split(b"?>", 1)[-1])):
        with zipfile.ZipFile(target, "w") as archive:
            for info, data in items:
                archive.writestr(info, change(data) if info.filename.endswith("sheet2.xml") else data)
        done = cli("rulesets", "import", target, "--out", f"{tmp_path / 'o'}/")
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_a_history_that_cannot_be_written_is_exit_2(tmp_path, communes):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    if os.getuid() == 0:  # root writes anywhere: a database that is a folder then
        db = tmp_path / "db-folder"
        db.mkdir()
    else:
        db = folder / "history.sqlite3"
    done = cli("batch", communes, "--out", tmp_path / "out", "--db", db)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr


def test_a_killed_worker_interrupts_the_batch_and_says_so(tmp_path):
    import random
    import signal
    import time

    import reference
    from conftest import random_document

    raw, rng = reference.load_raw("vn-2016-2020"), random.Random(3)
    path = tmp_path / "big.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for k in range(20_000):
            document = random_document(rng, raw, "red_river_delta", 2020)
            document["commune"] = {"name": f"Xã {k}"}
            handle.write(json.dumps(document) + "\n")
    process = subprocess.Popen([sys.executable, "-m", "ntm_rules", "batch", str(path), "--out", str(tmp_path / "out"),
                                "-j", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while not workers and time.monotonic() < deadline:
        time.sleep(0.1)
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        workers = [int(p) for p in children.read_text().split()] if children.exists() else []
    assert workers, "no worker started"
    time.sleep(0.5)
    os.kill(workers[0], signal.SIGKILL)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "a worker was killed" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "out" / "summary.json").exists()


def test_an_input_is_hashed_beside_its_reading_and_the_hash_is_its_bytes(tmp_path, monkeypatch):
    """A CSV or JSON Lines input is hashed in a thread of its own while its lines are read
    (`files.Sha256`): the summary's sha256 is that of its bytes; an input refused while its lines
    are read leaves no hashing behind; a file shorter than it said is hashed as far as it goes."""
    import hashlib
    import threading
    import time

    from ntm_rules.batch import run_batch
    from ntm_rules.errors import InputError
    from ntm_rules.files import Sha256
    from ntm_rules.inputs.sources import scan

    rows = tmp_path / "rows.csv"
    rows.write_text((Path(__file__).parent.parent / "fixtures" / "batches" / "thai-nguyen-2019.csv").read_text("utf-8"),
                    "utf-8")
    result = run_batch([rows], tmp_path / "out", jobs=1)
    assert result.summary.inputs[0].sha256 == hashlib.sha256(rows.read_bytes()).hexdigest()
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"commune": {"name": "X\xe3"}}\n' * 100_000)  # not UTF-8: refused once read
    with monkeypatch.context() as slow:  # a hashing slower than the reading
        slow.setattr(Sha256, "BLOCK", 4096)
        slow.setattr("ntm_rules.files.os.pread", lambda *a, real=os.pread: time.sleep(0.002) or real(*a))
        with pytest.raises(InputError, match="not UTF-8"):
            scan([latin])
        assert not [t for t in threading.enumerate() if t.name == "ntm-sha256"]
    data = os.urandom(3 * Sha256.BLOCK + 5)
    (tmp_path / "blob").write_bytes(data)
    with open(tmp_path / "blob", "rb") as handle:
        assert Sha256(handle.fileno(), len(data)).hexdigest() == hashlib.sha256(data).hexdigest()
        assert Sha256(handle.fileno(), len(data) + 999).hexdigest() == hashlib.sha256(data).hexdigest()
