"""One identity per place (issue 26): provinces, districts and communes recognised against the
directory of administrative units that `vietnamadminunits` ships, however a clerk spells them;
batches, registered lists and the summary's counts by that identity; the reform of July 2025.

Every expectation about a real unit is read from the library's own data (its SQLite directory or
its `convert_address`), never typed here from memory."""
import csv
import dataclasses
import json
import sqlite3
import time
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, attaining_document, collections_inside
from ntm_rules import places
from ntm_rules.batch import run_batch
from ntm_rules.places import directory as directory_module
from ntm_rules.regions import region_of_province
from ntm_rules.reports.summary_text import summary_text

BATCH = FIXTURES / "batches" / "thai-nguyen-2019.csv"
SET = "vn-2016-2020"


def library_rows(query: str, *args) -> list[tuple]:
    """The library's own directory, read directly (the expectations come from its data)."""
    path = directory_module.library_path() / "data" / "dataset.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute(query, args).fetchall()


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# ------------------------------------------------------------------------------------- names


@pytest.mark.parametrize("old, new", [("Hòa", "Hoà"), ("Thủy", "Thuỷ"), ("Khỏe", "Khoẻ"), ("Tân Hòa Đông", "TÂN HOÀ ĐÔNG"),
                                      ("Quý", "Qúy"), ("Hòa", nfd("Hoà"))])
def test_the_two_tone_mark_placements_are_one_name(old, new):
    assert places.exact(old) == places.exact(new)
    assert places.exact(old) == unicodedata.normalize("NFC", old).lower()  # the directory's placement, unchanged


@pytest.mark.parametrize("a, b", [("Tân Lập", "Tấn Lập"), ("Hòa", "Hóa"), ("Đồng", "Dồng"), ("Thủy", "Thúy")])
def test_tones_are_never_dropped_from_an_identity(a, b):
    assert places.name_key(a) != places.name_key(b)
    assert places.fold(a) == places.fold(b)  # only the loose fold (suggestions) drops them


@pytest.mark.parametrize("written", ["Xã Tân Hòa Đông", "xã tân hoà đông", "Tân Hòa Đông", nfd("XÃ TÂN HOÀ ĐÔNG")])
def test_the_kind_written_before_a_name_is_no_part_of_it(written):
    assert places.name_key(written) == "tân hòa đông"


@pytest.mark.parametrize("code, key", [(5503, "05503"), (5503.0, "05503"), ("5503", "05503"), ("05503", "05503"),
                                       (" 05503 ", "05503"), ("001", "001"), ("K7", "K7"), (None, "")])
def test_a_code_read_as_a_number_gets_its_zeros_back(code, key):
    assert places.code_key(code) == key


# ---------------------------------------------------------------------------------- provinces

def test_a_province_spelt_four_ways_is_one_official_province():
    code, name, short = library_rows("SELECT DISTINCT provinceCode, province, provinceShort FROM admin_units_legacy "
                                     "WHERE provinceShort = 'Bắc Giang'")[0]
    for written in ("Bắc Giang", "Tỉnh Bắc Giang", "tỉnh bắc giang", nfd("Bắc Giang"), "bac giang", "TỈNH BẮC GIANG"):
        place = places.province(written, places.OLD)
        assert place.known and (place.unit.code, place.unit.name) == (code, name), written
        assert place.key == f"p63:{code}"
        assert places.province_key(written) == places.name_key(short)
        assert region_of_province(written) == "northern_midlands_mountains"
    assert not places.province("Bắc Giangg", places.OLD).known
    # a name written with other tones is not the province (only a name without any is looked up without them)
    assert not places.province("Bắc Giàng", places.OLD).known


def test_every_province_of_the_regions_is_in_the_directory():
    from ntm_rules.regions import regions

    for region in regions().values():
        for name in region["provinces"]:
            assert places.province(name, places.OLD).known, name


# ----------------------------------------------------------------------------------- communes

def _unit(code: str) -> tuple:
    return library_rows("SELECT ward, district, province, wardCode FROM admin_units_legacy WHERE wardCode = ?", code)[0]


def test_a_commune_is_one_unit_however_it_is_written():
    ward, district, province, code = _unit("28324")  # a commune whose name has "Hòa"
    assert "Hòa" in ward
    for name, dist, prov, with_code in [(ward, district, province, code), (ward.replace("Hòa", "Hoà"), None, province, None),
                                        (places.name_key(ward), district.lower(), "tinh " + places.fold(province)[5:], None),
                                        (nfd(ward), nfd(district), nfd(province), int(code))]:
        place = places.commune(name, dist, prov, with_code, year=2019)
        assert place.known and place.unit.code == code and place.key == f"c63:{code}", name
        assert place.name == ward


def test_tan_lap_and_tan_lap_with_another_tone_stay_two_communes():
    tan = places.commune("Xã Tân Lập", "Huyện Đồng Hỷ", "Thái Nguyên", year=2019)
    tấn = places.commune("Xã Tấn Lập", "Huyện Đồng Hỷ", "Thái Nguyên", year=2019)
    assert tan.keys != tấn.keys and not set(tan.keys) & set(tấn.keys)
    # among real units too: every unit's key is its own, and tone-only twins keep theirs
    rows = library_rows("SELECT ward, district, province, wardCode FROM admin_units_legacy WHERE ward LIKE 'Xã Tấn %'")
    assert rows
    for ward, district, province, code in rows:
        other = ward.replace("Tấn", "Tân", 1)
        assert places.commune(ward, district, province, year=2019).unit.code == code
        assert places.commune(other, district, province, year=2019).unit != places.commune(
            ward, district, province, year=2019).unit


def test_a_name_the_directory_does_not_know_is_kept_with_its_province_and_district():
    place = places.commune("Xã Lâm Cốt Hạ", "Huyện Đồng Hỷ", "Tỉnh Thái Nguyên", year=2019)
    assert place.status == places.UNKNOWN and place.unit is None and place.name == "Xã Lâm Cốt Hạ"
    assert place.province.known and place.district.known
    assert place.keys == (f"n63:{place.province.unit.code}|{place.district.unit.code}|lâm cốt hạ",)


def test_a_code_that_contradicts_the_name_and_province():
    ward, district, province, code = _unit("05503")
    other_ward, _, other_province, other_code = library_rows(
        "SELECT ward, district, province, wardCode FROM admin_units_legacy WHERE provinceCode != '19' LIMIT 1")[0]
    place = places.commune(ward, district, province, other_code, year=2019)
    assert place.status == places.CONTRADICTED and place.conflict.code == other_code and place.unit.code == code
    assert other_ward in places.describe(place.conflict) and other_province in places.describe(place.conflict)
    # a code the directory does not know leaves the name to decide
    assert places.commune(ward, district, province, "09901", year=2019).unit.code == code


def test_the_era_follows_the_year():
    assert places.era_order(2019) == (places.OLD,) and places.era_order(2026) == (places.NEW,)
    ward, _, province, code = library_rows("SELECT ward, NULL, province, wardCode FROM admin_units "
                                           "WHERE provinceCode = '19' LIMIT 1")[0]
    assert places.commune(ward, None, province, year=2026).key == f"c34:{code}"


def test_lookups_are_constant_time_once_indexed():
    """The directory is indexed once; a lookup is then dictionary reads (tens of microseconds,
    against about a millisecond for the library's own address parser)."""
    places.directory_of(places.OLD).communes  # indexed
    names = [u.name for u in list(places.directory_of(places.OLD).communes.values())[:3000]]
    started = time.perf_counter()
    for name in names:
        places.commune(name + " ", "Huyện Không Có", "Thái Nguyên", year=2019)
    per_lookup = (time.perf_counter() - started) / len(names)
    assert per_lookup < 1e-3, per_lookup


# ------------------------------------------------------------------------------- the reform

def test_the_thai_nguyen_2019_communes_today_are_the_librarys_own_conversion():
    from vietnamadminunits import convert_address

    rows = [r for r in csv.DictReader(BATCH.open(encoding="utf-8")) if r["commune.name"]]
    followed = 0
    for row in rows:
        place = places.commune(row["commune.name"], row["commune.district"], row["commune.province"],
                               row["commune.code"], year=2019)
        assert place.known, row["commune.name"]
        unit = place.unit
        d = places.directory_of(places.OLD)
        expected = convert_address(f"{unit.name}, {d.districts[unit.district].name}, {d.provinces[unit.province].name}")
        today = places.successor(place)
        assert today.unit.code == expected.ward_code and today.unit.name == expected.ward
        assert today.unit.era == places.NEW and unit in places.predecessors(today.unit)
        assert places.province_today(d.provinces[unit.province]).code == expected.province_code
        followed += 1
    assert followed == len(rows) == 12
    # a commune divided between several of today: every part, the library's own choice first
    mapping = json.loads((directory_module.library_path() / "data" / "converter_2025.json").read_text("utf-8"))
    old_key = next(iter(mapping["DICT_PROVINCE_WARD_DIVIDED"]["tinhthainguyen"]))
    province_key, district_key, ward_key = old_key.split("_")
    ward, district, province = library_rows(
        "SELECT ward, district, province FROM admin_units_legacy WHERE provinceKey = ? AND districtKey = ? AND wardKey = ?",
        province_key, district_key, ward_key)[0]
    divided = places.successor(places.commune(ward, district, province, year=2019))
    assert divided.divided and divided.unit.code == convert_address(f"{ward}, {district}, {province}").ward_code
    # a commune of today, or one the directory does not know, has no successor
    assert places.successor(places.commune("Xã Lâm Cốt Hạ", "Huyện Đồng Hỷ", "Thái Nguyên", year=2019)) is None


# ----------------------------------------------------------------------------------- batches

def _document(name, district=None, province="Thái Nguyên", code=None, region="northern_midlands_mountains",
              year=2019, bad=False) -> dict:
    doc = attaining_document(SET, region, year)
    doc["commune"] = {k: v for k, v in {"name": name, "district": district, "province": province, "code": code}.items()
                      if v is not None}
    if bad:
        doc["data"]["income_per_capita_million_vnd"] = -5  # outside its plausible range: the row is rejected
    return doc


def _jsonl(path, documents) -> str:
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents), "utf-8")
    return path


def test_a_repeat_is_the_same_unit_however_spelt_even_without_its_code(tmp_path):
    tan_cuong = _unit("05503")
    documents = [
        _document(tan_cuong[0], tan_cuong[1], tan_cuong[2], "05503"),                   # 1
        _document("tân cương", None, "tinh thai nguyen"),                              # 2: the same unit, no code
        _document("Xã Lâm Cốt Hạ", "Huyện Đồng Hỷ", code="09911"),                     # 3: unknown, with a code
        _document("Lâm Cốt Hạ", "huyện đồng hỷ", province="Tỉnh Thái Nguyên"),        # 4: its repeat, no code
        _document("Xã Lam Cốt Hạ", "Huyện Đồng Hỷ"),                                   # 5: another name (its tones)
    ]
    summary = run_batch([_jsonl(tmp_path / "in.jsonl", documents)], tmp_path / "out", ruleset=SET, jobs=1).summary
    rejected = [json.loads(line) for line in (tmp_path / "out" / "rejected.jsonl").read_text("utf-8").splitlines()]
    assert [(r["row"], r["error"].split(";")[0]) for r in rejected] == [
        (2, f"trùng với dòng 1 (cùng xã {tan_cuong[0]}, mã 05503)"),
        (4, "trùng với dòng 3 (cùng tên xã, huyện, tỉnh)")]
    assert all("keys" not in r for r in rejected)  # the identity keys stay out of rejected.jsonl
    assert (summary.rows_read, summary.communes, summary.assessed, summary.rejected) == (5, 3, 3, 2)


def test_a_contradicting_code_is_rejected_naming_both(tmp_path):
    ward, district, province, code = _unit("05503")
    other = library_rows("SELECT ward, province, wardCode FROM admin_units_legacy WHERE wardCode = '00001'")[0]
    summary = run_batch([_jsonl(tmp_path / "in.jsonl", [_document(ward, district, province, "1")])], tmp_path / "out",
                        ruleset=SET, jobs=1).summary
    assert (summary.assessed, summary.rejected, summary.communes) == (0, 1, 1)
    error = json.loads((tmp_path / "out" / "rejected.jsonl").read_text("utf-8"))["error"]
    assert error.startswith("commune.code: mã 00001 là mã của")
    assert other[0] in error and other[1] in error and ward in error and "cách sửa:" in error and code in error


def test_an_unknown_commune_is_assessed_and_said_once(tmp_path):
    documents = [_document("Xã Lâm Cốt Hạ", "Huyện Đồng Hỷ"), _document("Xã Lam Cốt Hạ", "Huyện Võ Nhai"),
                 _document(*_unit("05503")[:3])]
    summary = run_batch([_jsonl(tmp_path / "in.jsonl", documents)], tmp_path / "out", ruleset=SET, jobs=1).summary
    assert summary.assessed == 3 and summary.rejected == 0
    assert summary.not_in_directory == 2
    assert summary.not_in_directory_names == ["Xã Lâm Cốt Hạ (Huyện Đồng Hỷ)", "Xã Lam Cốt Hạ (Huyện Võ Nhai)"]
    for text in (summary_text(summary), (tmp_path / "out" / "summary.html").read_text("utf-8")):
        assert text.count("không có trong danh mục đơn vị hành chính") == 1
        assert "Xã Lâm Cốt Hạ (Huyện Đồng Hỷ)" in text
    assert "not in the directory of administrative units" in summary_text(summary, "en")


def test_registered_lists_match_however_a_clerk_spells_them(tmp_path):
    hoa_dong = _unit("28324")
    documents = [_document(hoa_dong[0], hoa_dong[1], hoa_dong[2], region="mekong_delta"),
                 _document("Xã Lâm Cốt Hạ", "Huyện Đồng Hỷ"), _document("Xã Lam Cốt Hạ", "Huyện Võ Nhai"),
                 _document("Xã Tân Lập", "Huyện Đồng Hỷ"),
                 _document("Xã Thần Sa", "Huyện Võ Nhai", code="05725")]  # the directory spells it otherwise
    registered = [
        {"name": hoa_dong[0].replace("Hòa", "Hoà")},                    # the other tone placement
        {"name": places.name_key(hoa_dong[0]).title()},                # no "Xã", other case
        {"name": nfd(hoa_dong[0]), "district": hoa_dong[1].lower()},   # decomposed, with its district
        {"name": "Lam Cot Ha"},                                        # no diacritics: both twins suggested
        {"name": "Xã Lâm Cốt Hạ"},                                     # one twin, exactly
        {"name": "Xã Tấn Lập"},                                        # another name than Tân Lập: a suggestion only
        {"name": "Other name", "code": 28324},                         # by its code, given as a number
        {"name": _unit("05725")[0]},                                   # by the official name of a row's code
    ]
    summary = run_batch([_jsonl(tmp_path / "in.jsonl", documents)], tmp_path / "out", ruleset=SET, jobs=1,
                        registered=registered).summary
    tone, no_kind, nfd_district, unaccented, twin, tan_lap, by_code, official = summary.registered
    for found in (tone, no_kind, nfd_district, by_code):
        assert found.status == "found" and (found.commune, found.district) == hoa_dong[:2], found
    assert unaccented.status == "not_found"
    assert unaccented.candidates == ["Xã Lâm Cốt Hạ (Huyện Đồng Hỷ)", "Xã Lam Cốt Hạ (Huyện Võ Nhai)"]
    assert "có phải Xã Lâm Cốt Hạ (Huyện Đồng Hỷ) hay Xã Lam Cốt Hạ (Huyện Võ Nhai)?" in summary_text(summary)
    assert twin.found and twin.district == "Huyện Đồng Hỷ"
    assert tan_lap.status == "not_found" and tan_lap.candidates == ["Xã Tân Lập (Huyện Đồng Hỷ)"]
    assert _unit("05725")[0] != "Xã Thần Sa" and official.found and official.commune == "Xã Thần Sa"


# ------------------------------------------------------------------------------- the counts

def _csv(path, rows: list[list]) -> str:
    fields = sorted(attaining_document(SET, "northern_midlands_mountains", 2019)["data"])
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["commune.name", "commune.district", "commune.province", "commune.code", "region", "year"] + fields)
        for row in rows:
            out.writerow(row)
    return path


def _row(name, district="Huyện Đồng Hỷ", code="", bad=False) -> list:
    doc = _document(name, district, bad=bad)
    data = doc["data"]
    fields = sorted(data)
    return [name, district, "Thái Nguyên", code, doc["region"], 2019] + [data[f] for f in fields]


def test_rows_read_and_communes_are_two_figures(tmp_path):
    """43 rows: 40 communes, two totals rows and one repeat (whose first row has a code and the repeat
    none) → 43 rows read, 40 communes."""
    rows = [_row(f"Xã Số {n}", code=f"9{n:04d}") for n in range(1, 41)]
    rows.insert(20, ["Cộng", "", "", "", "", 2019] + [3] * (len(rows[0]) - 6))
    rows.append(["Tổng cộng", "", "", "", "", 2019] + [40] * (len(rows[0]) - 6))
    rows.append(_row("xã số 7", district="huyện đồng hỷ"))  # the repeat of Xã Số 7, without its code
    summary = run_batch([_csv(tmp_path / "in.csv", rows)], tmp_path / "out", ruleset=SET, jobs=1).summary
    assert (summary.rows_read, summary.communes, summary.assessed, summary.rejected) == (43, 40, 40, 3)
    text = summary_text(summary)
    assert "43 dòng đã đọc; 40 xã (đơn vị hành chính khác nhau) — 40 đã đánh giá, 3 dòng không đánh giá được" in text
    assert "43 rows read; 40 communes (distinct administrative units)" in summary_text(summary, "en")
    page = (tmp_path / "out" / "summary.html").read_text("utf-8")
    assert 'id="rows-read">43<' in page and 'id="communes">40<' in page
    rejected = (tmp_path / "out" / "rejected.jsonl").read_text("utf-8")
    assert "trùng với dòng 8 (cùng tên xã, huyện, tỉnh)" in rejected  # Xã Số 7: line 8 (the header is line 1)


def test_more_than_a_hundred_rejected_rows_are_all_counted(tmp_path):
    rows = [_row(f"Xã Hỏng {n}", bad=True) for n in range(130)] + [_row(f"Xã Tốt {n}") for n in range(5)]
    summary = run_batch([_csv(tmp_path / "in.csv", rows)], tmp_path / "out", ruleset=SET, jobs=1).summary
    assert len(summary.rejected_rows) == 100  # the first ones shown
    assert (summary.rows_read, summary.assessed, summary.rejected, summary.communes) == (135, 5, 130, 135)
    saved = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert (saved["rows_read"], saved["communes"]) == (135, 135)


def test_a_district_however_spelt_is_one_line_of_the_summary(tmp_path):
    documents = [_document("Xã Lâm Cốt Hạ", "Huyện Đồng Hỷ"), _document("Xã Tân Lập", nfd("huyện đồng hỷ")),
                 _document("Xã Lam Cốt Hạ", "Dong Hy"), _document("Xã Khác", "Huyện Không Có")]
    summary = run_batch([_jsonl(tmp_path / "in.jsonl", documents)], tmp_path / "out", ruleset=SET, jobs=1).summary
    assert {d.district: d.assessed for d in summary.districts} == {"Huyện Đồng Hỷ": 3, "Huyện Không Có": 1}


def test_a_megabyte_of_name_is_no_commune_and_is_never_kept(tmp_path):
    """A row whose "name" is longer than any name can be is rejected (the contract's limit) and
    counts no commune; the places' caches never keep such a text."""
    long = "Xã " + "à" * 300_000
    documents = [_document(long), _document("Xã Lâm Cốt Hạ", "Huyện Đồng Hỷ")]
    started = time.perf_counter()
    summary = run_batch([_jsonl(tmp_path / "in.jsonl", documents)], tmp_path / "out", ruleset=SET, jobs=1).summary
    assert (summary.rows_read, summary.rejected, summary.communes) == (2, 1, 1)
    assert time.perf_counter() - started < 30
    caches = [places.identify._commune_in, places.names.exact, places.names.split_kind, places.names._syllable]
    before = [cache.cache_info().currsize for cache in caches]
    assert places.commune(long, None, "Thái Nguyên", year=2019).status == places.UNKNOWN
    assert [cache.cache_info().currsize for cache in caches] == before


def test_a_name_typed_with_combining_marks_is_kept_composed():
    """The same text however the keyboard composed it: the result (and every page and document made
    from it) holds the composed form, so that a search for "Cúc Đường" finds it."""
    import unicodedata

    import ntm_rules

    document = _document("Xã Cúc Đường", "Huyện Võ Nhai")
    document["commune"] = {k: unicodedata.normalize("NFD", v) for k, v in document["commune"].items()}
    assert document["commune"]["name"] != "Xã Cúc Đường"
    result = ntm_rules.assess(document)
    assert (result.commune.name, result.commune.district) == ("Xã Cúc Đường", "Huyện Võ Nhai")


@pytest.mark.parametrize("era", [places.OLD, places.NEW])
def test_the_directory_read_back_from_the_data_cache_is_the_one_indexed(tmp_path, monkeypatch, era):
    """The indexes kept in the data cache (JSON) are read back exactly as indexed; a damaged entry
    is indexed again, never trusted."""
    from ntm_rules.places import directory

    monkeypatch.setenv("NTM_CACHE_DIR", str(tmp_path / "cache"))
    path = str(directory.library_path() / "data" / "dataset.db")
    parts = ("provinces", "_province_names", "_province_loose", "_districts", "_communes", "_district_names",
             "_district_loose", "_commune_names")

    def indexed():
        made = directory.Directory(era, path)
        made.communes
        return {part: getattr(made, part) for part in parts}

    built = indexed()
    assert list((tmp_path / "cache").glob("*.json"))  # written
    monkeypatch.setattr(directory, "_rows", lambda *a: pytest.fail("the library's data read again, not the cache"))
    assert indexed() == built
    for entry in (tmp_path / "cache").glob("*.json"):  # a field too many
        entry.write_text(entry.read_text("utf-8").replace('"rows":"', '"rows":"x\\t')
                         .replace('"provinces":[[', '"provinces":[["x",'), "utf-8")
    monkeypatch.undo()
    monkeypatch.setenv("NTM_CACHE_DIR", str(tmp_path / "cache"))
    assert indexed() == built  # the damaged entry was not used


def test_a_directory_whose_names_the_cache_could_not_keep_is_not_kept(tmp_path, monkeypatch):
    """The cache keeps the indexes as lines of tab-separated fields: a name holding a tab or a line
    break (or an empty one) could not be read back as it was, so such indexes are not kept at all."""
    from ntm_rules.places import directory

    monkeypatch.setenv("NTM_CACHE_DIR", str(tmp_path / "cache"))
    path = str(directory.library_path() / "data" / "dataset.db")
    made = directory.Directory(places.OLD, path)
    assert made.communes and made._saved() is not None
    code = next(iter(made._communes))
    for name in ("Xã\tTân Cương", "Xã\nTân Cương", ""):
        odd = dataclasses.replace(made._communes[code], name=name)
        monkeypatch.setitem(made._communes, code, odd)
        assert made._saved() is None, name
    monkeypatch.undo()
    monkeypatch.setitem(made._commune_names, "p19\ttân\ncương", code)
    assert made._saved() is None


def test_no_collection_runs_while_the_directory_is_indexed_and_the_collector_is_left_as_it_was(tmp_path,
                                                                                               monkeypatch):
    """Reading the indexes back (or building them) makes tens of thousands of objects that live as
    long as the process: the collector rests meanwhile (collector.py), then is on again."""
    import gc

    from ntm_rules.places import directory

    monkeypatch.setenv("NTM_CACHE_DIR", str(tmp_path / "cache"))
    path = str(directory.library_path() / "data" / "dataset.db")
    with collections_inside(monkeypatch, directory.Directory, "_read_or_build") as collections:
        for _ in range(2):  # built, then read back
            assert directory.Directory(places.OLD, path).communes
    assert collections == [] and gc.isenabled()


def test_units_read_back_are_made_when_first_looked_up(tmp_path, monkeypatch):
    """Reading the indexes back makes no unit (a batch looks up a few hundred of 10 731); a unit
    looked up is the one the directory indexed, made once."""
    from ntm_rules.places import directory

    monkeypatch.setenv("NTM_CACHE_DIR", str(tmp_path / "cache"))
    path = str(directory.library_path() / "data" / "dataset.db")
    built = directory.Directory(places.OLD, path)
    assert built.communes  # indexed here, kept in the cache
    read = directory.Directory(places.OLD, path)
    assert len(read.communes) == len(built.communes) and read.communes.made == {}
    code = next(iter(built.communes))
    assert read.communes.get(code) == built.communes[code] and read.communes[code] is read.communes.get(code)
    assert list(read.communes.made) == [code] and read.communes.get("no such code") is None
    assert "no such code" not in read.communes and code in read.communes


_LATIN = [chr(c) for c in (*range(0x80), *range(0x80, 0x250), *range(0x300, 0x370), *range(0x1E00, 0x1F00))]


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.sampled_from(_LATIN + list("–—\u3000\u2028\u0085\u00a0\u034f\u0130\u03a3\u0391\u05b0Ωﬁ"))) |
       st.text(max_size=12))
def test_fold_drops_every_diacritic_whatever_the_text(text):
    """`fold` as it is defined (lower case, every combining mark of the NFD form dropped, đ as d,
    dashes and spaces squeezed), whatever path it takes (a Latin name's is faster)."""
    import re

    expected = text.replace("đ", "d").replace("Đ", "D").replace("ð", "d").replace("Ð", "D")
    expected = "".join(ch for ch in unicodedata.normalize("NFD", expected) if not unicodedata.combining(ch)).lower()
    assert places.fold(text) == re.sub(r"[\s\-–—_]+", " ", expected).strip()
    assert places.fold("Xã Tân–Cương — Đông_ấp  Hạ-Hòa") == "xa tan cuong dong ap ha hoa"
