import importlib.util
import json
import os
import random
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reference  # noqa: E402

REGIONS = ["northern_midlands_mountains", "red_river_delta", "north_central_coast", "south_central_coast",
           "central_highlands", "southeast", "mekong_delta"]


def passing_value(check: dict, region: str, year: int):
    """A value that meets the check, chosen from its threshold (not hard-coded)."""
    threshold = reference.threshold_entry(check, region, year)["value"]
    if isinstance(threshold, bool):
        return threshold
    operator = check.get("operator", "==")
    if operator == "==":
        return threshold
    if check["type"] == "count":
        return threshold + 1 if operator == ">=" else max(threshold - 1, 0)
    if operator == ">=":
        return min(threshold + 1, 100) if check["type"] == "pct" else threshold + 1
    return max(threshold - 1, 0)


def attaining_document(ruleset_id: str, region: str, year: int) -> dict:
    raw = reference.load_raw(ruleset_id)
    data = {c["field"]: passing_value(c, region, year) for _, _, c in reference.all_checks(raw)}
    return {"commune": {"name": "Xã Mẫu", "province": "Thái Nguyên"}, "region": region, "year": year, "data": data}


def random_document(rng: random.Random, raw: dict, region: str, year: int, p_missing=0.01, p_fail=0.06) -> dict:
    """A commune near its thresholds: most indicators pass, a few fail, a few fields are absent."""
    data = {}
    for _, _, check in reference.all_checks(raw):
        if rng.random() < p_missing:
            continue
        threshold = reference.threshold_entry(check, region, year)["value"]
        fail = rng.random() < p_fail
        if isinstance(threshold, bool):
            data[check["field"]] = (not threshold) if fail else threshold
            continue
        op = check.get("operator")
        if check["type"] == "count":
            delta = rng.randint(1, 5)
            value = threshold + (delta if (op == "<=") == fail else -delta)
            if op == "<=" and not fail:
                value = rng.randint(0, threshold) if threshold > 0 else 0
            data[check["field"]] = max(value, 0)
            continue
        low, high = (0.0, 100.0) if check["type"] == "pct" else (1.0, threshold * 3 + 1)  # income: 1–1 000 is plausible
        if (op == ">=") != fail:
            value = rng.uniform(threshold, high)
        else:
            value = rng.uniform(low, threshold)
        data[check["field"]] = round(value, rng.choice([0, 1, 2]))
    return {"commune": {"name": f"Xã {rng.getrandbits(48)}"}, "region": region, "year": year, "data": data}  # names unique


def random_rows(path: Path, count: int, seed: int, region: str = "red_river_delta") -> Path:
    """A JSON Lines file of `count` generated communes of the national set (`random_document`)."""
    raw = reference.load_raw("vn-2016-2020")
    rng = random.Random(seed)
    path.write_text("".join(json.dumps(random_document(rng, raw, region, 2020), ensure_ascii=False) + "\n"
                            for _ in range(count)), encoding="utf-8")
    return path


@contextmanager
def collections_inside(monkeypatch, owner, name: str):
    """The generations of the cyclic collections that start while `owner.name` runs (a list,
    filled in while the block runs)."""
    import gc

    inside, collections = [], []
    function = getattr(owner, name)

    def watched(*args, **kwargs):
        inside.append(True)
        try:
            return function(*args, **kwargs)
        finally:
            inside.pop()

    def count(phase, info):
        if phase == "start" and inside:
            collections.append(info["generation"])

    monkeypatch.setattr(owner, name, watched)
    gc.callbacks.append(count)
    try:
        yield collections
    finally:
        gc.callbacks.remove(count)


@pytest.fixture(scope="session")
def raw_national():
    return reference.load_raw("vn-2016-2020")


ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def read_fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text("utf-8"))


# ------------------------------------------------------------------ the browser (Debian's chromium)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
HEADLESS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync")


def need_browser(driver: bool = True) -> None:
    """Skip the calling test module without chromium (and chromium-driver and selenium, when it drives
    the browser), unless NTM_REQUIRE_BROWSER=1 (set by .ci/run): then their absence is a failure."""
    missing = CHROMIUM is None or (driver and (DRIVER is None or importlib.util.find_spec("selenium") is None))
    if missing:
        if os.environ.get("NTM_REQUIRE_BROWSER") == "1":
            raise RuntimeError("NTM_REQUIRE_BROWSER=1 but chromium, chromium-driver or selenium is missing "
                               "(apt-get install chromium chromium-driver; pip install selenium)")
        pytest.skip("chromium, chromium-driver or selenium is not installed", allow_module_level=True)


def chrome(profile, prefs: dict | None = None):
    """A headless chromium driven through chromium-driver, with its own profile folder."""
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*HEADLESS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    if prefs:
        options.add_experimental_option("prefs", prefs)
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=DRIVER))
