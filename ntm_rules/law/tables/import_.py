"""A filled workbook read back: the ruleset mapping it holds (``read_workbook``), only what differs
from a parent for `--extends` (``delta``), and the set written as YAML once it loads
(``import_workbook``), a loosened threshold and the loader's problems named by their row."""
from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from ...errors import InputError, Say
from ...files.cells import cell_name
from ...files.xlsx import open_workbook
from ...limits import PERIOD_YEARS
from ..schema import Ruleset
from .layout import MAX_TABLE_ROWS, SHEETS, _date, _int, _number, _pair, _Problems, _text
from .rows import _criteria

def _sheet_rows(book, sheet, problems: "_Problems") -> list[list]:
    """A sheet's rows by number (row 1 first; rows not written are empty); a formula anywhere is a
    problem at its cell: the tool cannot recalculate it, and the value saved with it may be stale."""
    rows: list[list] = []
    for row in book.rows(sheet):
        if row.number > MAX_TABLE_ROWS:
            problems.add(f"{sheet.name}!{row.number}", f"trang có hơn {MAX_TABLE_ROWS} dòng", f"the sheet has more than "
                         f"{MAX_TABLE_ROWS} rows", "chỉ ghi bảng tiêu chí vào trang này", "keep only the table on this sheet")
            break
        rows.extend([] for _ in range(row.number - 1 - len(rows)))
        for column in sorted(row.formulas):
            problems.add(f"{sheet.name}!{cell_name(column, row.number)}",
                         "ô có công thức: bảng tiêu chí ghi con số, không ghi công thức",
                         "the cell holds a formula: a criteria table states numbers, not formulas",
                         "ghi con số, không ghi công thức (công cụ không tính lại công thức, và giá trị lưu kèm có thể đã cũ)",
                         "write the number, not a formula (the tool cannot recalculate it, and the value saved with it "
                         "may be stale)")
        rows.append(row.values)
    width = max((len(r) for r in rows), default=0)
    return [r + [None] * (width - len(r)) for r in rows]


def read_workbook(path: str | Path, rows_of: dict[str, str] | None = None) -> dict:
    """The ruleset mapping a filled workbook holds; InputError naming sheet, cell and fix.
    `rows_of`, when given, receives where each criterion and indicator was read
    ("criteria[id=5].indicators[id=5.1]" → "Chỉ tiêu!12"), to place the loader's problems."""
    source = str(path)
    problems = _Problems(source)
    sheets = {}
    with open_workbook(path) as book:
        by_name = {sheet.name: sheet for sheet in book.sheets}
        for key, name in SHEETS.items():
            if key == "guide":
                continue
            if name not in by_name:
                raise InputError(Say(f"thiếu trang \"{name}\"", f"the sheet \"{name}\" is missing"), source=source,
                                 fix=Say("dùng bảng do công cụ viết ra (⟪rulesets_export⟫ hoặc ⟪rulesets_template⟫)",
                                         "start from a table the tool wrote (⟪rulesets_export⟫ or ⟪rulesets_template⟫)"))
            sheets[key] = _sheet_rows(book, by_name[name], problems)

    meta = {str(r[0]).strip(): r[1] for r in sheets["meta"][1:] if r and r[0] is not None}
    data: dict[str, Any] = {
        "id": _text(meta.get("id")), "status": _text(meta.get("status")) or "final",
        "level": _text(meta.get("level")) or "standard",
        "title": _pair(meta.get("title_vi"), meta.get("title_en")),
        "legal_source": {k: v for k, v in {
            "document": _text(meta.get("document")), "document_en": _text(meta.get("document_en")),
            "date": _date(meta.get("decision_date")), "url": _text(meta.get("decision_url"))}.items() if v is not None},
        "period": {"from": _int(meta.get("period_from")), "to": _int(meta.get("period_to"))},
        "varies_by": _text(meta.get("varies_by")) or "region",
    }
    for key in ("from", "to"):
        year = data["period"][key]
        if year is not None and not PERIOD_YEARS[0] <= year <= PERIOD_YEARS[1]:
            problems.add(f"{SHEETS['meta']}!period_{key}", f"năm {year} nằm ngoài các năm một bộ tiêu chí có thể áp dụng",
                         f"the year {year} is outside the years a criteria set can cover",
                         f"ghi năm từ {PERIOD_YEARS[0]} đến {PERIOD_YEARS[1]}",
                         f"write a year from {PERIOD_YEARS[0]} to {PERIOD_YEARS[1]}")
            problems.raise_first()  # nothing below may walk the years of an impossible period
    if _text(meta.get("in_force_from")):
        data["in_force"] = {"from": _date(meta.get("in_force_from"))}
        if _text(meta.get("in_force_to")):
            data["in_force"]["to"] = _date(meta.get("in_force_to"))
        note = _pair(meta.get("in_force_note_vi"), meta.get("in_force_note_en"))
        if note:
            data["in_force"]["note"] = note
    for key in ("province",):
        if _text(meta.get(key)):
            data[key] = _text(meta.get(key))
    if _int(meta.get("indicator_count")) is not None:
        data["indicator_count"] = _int(meta.get("indicator_count"))
    if _text(meta.get("applies_to")):
        data["applies_to"] = [p.strip() for p in str(meta["applies_to"]).split(",") if p.strip()]
    note = _pair(meta.get("note_vi"), meta.get("note_en"))
    if note:
        data["note"] = note
    if data["status"] not in ("final", "draft"):
        problems.add(f"{SHEETS['meta']}!status", f"status \"{data['status']}\" không có", f"the status \"{data['status']}\" does not exist",
                     "ghi final (hoàn chỉnh) hoặc draft (bản nháp)", "write final or draft")
    if data["varies_by"] not in ("region", "commune_group"):
        problems.add(f"{SHEETS['meta']}!varies_by", f"varies_by \"{data['varies_by']}\" không có",
                     f"varies_by \"{data['varies_by']}\" does not exist", "ghi region (theo vùng) hoặc commune_group (theo nhóm xã)",
                     "write region or commune_group")
    for required in ("id", "title"):
        if not data.get(required):
            problems.add(f"{SHEETS['meta']}!{required}", f"thiếu {required}", f"{required} is missing",
                         f"ghi {required} ở trang \"{SHEETS['meta']}\"", f"write {required} on the sheet")

    data["sources"] = {}
    for r in sheets["sources"][1:]:
        if not r or _text(r[0]) is None:
            continue
        entry = {k: v for k, v in {"url": _text(r[1]), "document": _pair(r[2], r[3]), "note": _pair(r[4], r[5])}.items()
                 if v is not None}
        data["sources"][_text(r[0])] = entry
    data["departments"] = {_text(r[0]): _pair(r[1], r[2]) for r in sheets["departments"][1:] if r and _text(r[0])}
    data["groups"] = {_text(r[0]): _pair(r[1], r[2]) for r in sheets["groups"][1:] if r and _text(r[0])}
    fields = {}
    for r in sheets["fields"][1:]:
        if not r or _text(r[0]) is None:
            continue
        info: dict[str, Any] = {"label": _pair(r[1], r[2])}
        if _pair(r[3], r[4]):
            info["unit"] = _pair(r[3], r[4])
        if r[5] is not None and r[6] is not None:
            info["range"] = [_number(r[5]), _number(r[6])]
        if _text(r[7]):
            info["options"] = {}
            for part in str(r[7]).split(";"):
                bits = [b.strip() for b in part.split("=")]
                if bits and bits[0]:
                    info["options"][bits[0]] = {"vi": bits[1] if len(bits) > 1 else bits[0],
                                                "en": bits[2] if len(bits) > 2 else bits[0]}
        fields[_text(r[0])] = info
    if fields:
        data["fields"] = fields
    data["criteria"] = _criteria(sheets["rows"], data, problems, rows_of if rows_of is not None else {})
    written = sum(len(c["indicators"]) for c in data["criteria"])
    if data["status"] == "final" and data.get("indicator_count") and written != data["indicator_count"]:
        problems.add(f"{SHEETS['meta']}!indicator_count",
                     f"quyết định có {data['indicator_count']} chỉ tiêu mà bảng mới ghi {written}",
                     f"the decision lists {data['indicator_count']} indicators and the table has {written}",
                     "ghi đủ mọi chỉ tiêu của bảng trong quyết định (hoặc sửa indicator_count; hoặc ghi status = draft "
                     "khi bảng chưa điền xong)", "write every indicator of the decision's table (or correct "
                     "indicator_count; or status = draft while the table is being filled)")
    problems.raise_first()
    return data


def delta(full: dict, parent: Ruleset) -> dict:
    """A full ruleset mapping as a child of `parent`: only what differs (for `import --extends`)."""
    full = _unsuffixed(full, parent)
    base = parent.model_dump(by_alias=True, exclude_none=True, mode="json")
    child: dict[str, Any] = {"id": full["id"], "extends": parent.id, "title": full["title"]}
    for key in ("legal_source", "period", "in_force", "province", "applies_to", "note", "level", "status"):
        if key in full and full[key] != base.get(key):
            child[key] = full[key]
    for key in ("sources", "departments", "groups", "fields"):
        changed = {k: v for k, v in (full.get(key) or {}).items() if (base.get(key) or {}).get(k) != v}
        if changed:
            child[key] = changed
    period = full.get("period") or {}
    years = range(period.get("from") or parent.period.from_, (period.get("to") or parent.period.to) + 1)
    parent_criteria = {c["id"]: c for c in base["criteria"]}
    overrides: dict[str, dict] = {}
    added: list[dict] = []
    for criterion in full["criteria"]:
        pc = parent_criteria.get(criterion["id"])
        if pc is None:
            added.append(criterion)
            continue
        change: dict[str, Any] = {}
        if criterion.get("name") != pc.get("name"):
            change["name"] = criterion["name"]
        if criterion.get("department") != pc.get("department"):
            change["department"] = criterion["department"]
        parent_indicators = {i["id"]: i for i in pc["indicators"]}
        for indicator in criterion["indicators"]:
            pi = parent_indicators.get(indicator["id"])
            if pi is None:
                change.setdefault("add_indicators", []).append(indicator)
                continue
            ichange = {}
            if indicator.get("name") != pi.get("name"):
                ichange["name"] = indicator["name"]
            if indicator.get("department") != pi.get("department") and indicator.get("department") is not None:
                ichange["department"] = indicator["department"]
            _unchanged_rule(indicator, pi, criterion["id"], ichange)
            if "checks" in indicator:
                parts = []
                for mine, theirs in zip(indicator["checks"], pi.get("checks") or []):
                    diff = _threshold_changes(mine.get("thresholds") or {}, theirs.get("thresholds") or {}, years)
                    parts.append({"thresholds": diff} if diff else {})
                if any(parts):
                    ichange["checks"] = parts
            else:
                diff = _threshold_changes(indicator.get("thresholds") or {}, pi.get("thresholds") or {}, years)
                if diff:
                    ichange["thresholds"] = diff
            if ichange:
                change.setdefault("indicators", {})[indicator["id"]] = ichange
        if change:
            overrides[criterion["id"]] = change
    if overrides:
        child["criteria"] = overrides
    if added:
        child["add_criteria"] = added
    return child


RULE_KEYS = ("field", "type", "operator", "relative_to", "verdict_of", "options", "absent", "declared", "unit")


def _unchanged_rule(indicator: dict, parent: dict, criterion_id: str, change: dict) -> None:
    """An extension may change an indicator's values, name, department and (for a prerequisite)
    whose verdict it is; what it compares must stay the parent's. `verdict_of` goes into `change`;
    any other difference is an InputError naming the indicator."""
    mine = indicator.get("checks") or [indicator]
    theirs = parent.get("checks") or [parent]
    def said(check: dict, key: str):
        value = check.get(key)
        if key == "operator" and value == "==":
            return None  # the default comparison, written or not
        return None if value in (None, False, [], "missing") else value

    differs = [key for a, b in zip(mine, theirs) for key in RULE_KEYS if key != "verdict_of" and said(a, key) != said(b, key)]
    if len(mine) != len(theirs):
        differs.append("checks")
    if indicator.get("prerequisite") != parent.get("prerequisite"):
        differs.append("prerequisite")
    if differs:
        iid = indicator["id"]
        raise InputError(Say(f"tiêu chí {criterion_id}, chỉ tiêu {iid}: {', '.join(sorted(set(differs)))} khác bộ gốc; một bộ "
                             "kế thừa (⟪extends⟫) chỉ được đổi ngưỡng, tên, Sở, ngành và bộ tiêu chí làm điều kiện",
                             f"criterion {criterion_id}, indicator {iid}: {', '.join(sorted(set(differs)))} differ from the "
                             "parent set; an extension (⟪extends⟫) may change only values, names, departments and the set "
                             "a prerequisite refers to"), field="extends",
                         fix=Say("nhập không có ⟪extends⟫ (một bộ đầy đủ), hoặc để chỉ tiêu như bộ gốc và thêm chỉ tiêu mới",
                                 "import without ⟪extends⟫ (a whole set), or keep the indicator as the parent has it and "
                                 "add a new one"))
    if len(mine) == 1 and mine[0].get("verdict_of") != theirs[0].get("verdict_of"):
        change["verdict_of"] = mine[0].get("verdict_of")


def _unsuffixed(full: dict, parent: Ruleset) -> dict:
    """Source keys written "KEY@SET" by `export` for values inherited from SET: back to KEY when SET
    is the parent or one of its ancestors (so an unchanged inherited value is not an override)."""
    lineage = set(parent._lineage) | {parent.id}
    full = copy.deepcopy(full)

    def fix(key):
        if isinstance(key, str) and "@" in key and key.split("@", 1)[1] in lineage:
            return key.split("@", 1)[0]
        return key

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "source":
                    node[k] = fix(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(full.get("criteria"))
    full["sources"] = {k: v for k, v in (full.get("sources") or {}).items() if fix(k) == k}
    return full


def _threshold_changes(mine: dict, theirs: dict, years: range) -> dict:
    """The regions (or groups) whose values differ from the parent's in some year of the child's
    period (a parent's span 2016–2019 and the child's 2017–2019 say the same for 2017–2020)."""
    out = {}
    for dim, value in mine.items():
        parent_value = theirs.get(dim, theirs.get("all"))
        if any(_in_year(value, year) != _in_year(parent_value, year) for year in years):
            out[dim] = value
    return out


def _in_year(value, year: int):
    """The entry of a threshold mapping value that holds in `year`, without its span."""
    for entry in value if isinstance(value, list) else ([value] if value is not None else []):
        span = entry.get("years")
        if span is None or span[0] <= year <= span[1]:
            return {k: v for k, v in entry.items() if k != "years"}
    return None


def import_workbook(path: str | Path, out: str | Path | None = None, extends: str | None = None) -> Ruleset:
    """A filled workbook as a validated YAML ruleset at `out` (ID.yaml, or a folder to write it in;
    default ./ID.yaml), only what differs from `extends` when given. Nothing is written unless the set loads; the loader's problems name the row
    of the table they come from. Returns the loaded ruleset (a draft when status says so)."""
    from ...errors import RulesetError
    from ..load import load_ruleset
    from ..yamlfile import _display

    rows_of: dict[str, str] = {}
    data = read_workbook(path, rows_of)
    if extends:
        parent = load_ruleset(extends)
        if data.get("id") in (parent.id, extends):
            raise InputError(Say(f"bảng mang mã {data['id']}, trùng với bộ gốc nó kế thừa: một bộ không kế thừa chính nó",
                                 f"the table's id is {data['id']}, the set it extends: a set cannot extend itself"),
                             source=str(path), field=f"{SHEETS['meta']}!id",
                             fix=Say("ghi cho bảng của tỉnh một mã riêng (ví dụ thai-nguyen-2017-2020)",
                                     "give the province's table an id of its own (e.g. thai-nguyen-2017-2020)"))
        _refuse_loosening(data, parent, rows_of, str(path))
        data = delta(data, parent)
    target = Path(out) if out is not None else Path(f"{data['id']}.yaml")
    if out is not None and (str(out).endswith(("/", os.sep)) or not target.suffix) and not target.exists():
        try:  # a folder to put the set in (as `--out FOLDER/` says): made when missing
            target.mkdir(parents=True)
        except OSError as problem:
            raise InputError(Say(f"không tạo được thư mục ({problem.strerror})", f"cannot make the folder ({problem.strerror})"),
                             source=str(target), fix=Say("kiểm tra đường dẫn", "check the path")) from None
    if target.is_dir():
        target = target / f"{data['id']}.yaml"
    if target.suffix not in (".yaml", ".yml") or target.stem != data["id"]:
        raise InputError(Say(f"tệp ra phải mang tên {data['id']}.yaml: bộ tiêu chí được tìm theo tên tệp, và mã (id) của "
                             "bảng này là " + data["id"],
                             f"the output must be named {data['id']}.yaml: a ruleset is found by the name of its file, "
                             f"and this table's id is {data['id']}"), source=str(target),
                         fix=Say(f"ghi ra THU_MUC/{data['id']}.yaml (⟪out⟫), hoặc sửa id ở trang \"{SHEETS['meta']}\"",
                                 f"write FOLDER/{data['id']}.yaml (⟪out⟫), or change the id on the sheet \"{SHEETS['meta']}\""))
    trial = target.with_name(f".{target.stem}.{os.getpid()}.check.yaml")
    out = target
    try:
        write_yaml(data, trial)
        try:
            load_ruleset(trial)
        except RulesetError as error:
            shown = _display(trial)
            raise RulesetError([_placed(line.replace(shown, str(path), 1), rows_of) for line in error.problems]) from None
    except OSError as problem:
        raise InputError(Say(f"không ghi được tệp ({problem.strerror})", f"cannot write the file ({problem.strerror})"),
                         source=str(out), fix=Say("kiểm tra thư mục có tồn tại và ghi được",
                                                  "check the folder exists and is writable")) from None
    finally:
        if trial.is_file() and not trial.is_symlink():
            trial.unlink(missing_ok=True)
    from ...files import replace_with

    replace_with(target, lambda temporary: write_yaml(data, temporary),
                 lambda message, fix: InputError(message, source=str(out), fix=fix))
    return load_ruleset(target)


def _refuse_loosening(data: dict, parent: Ruleset, rows_of: dict[str, str], source: str) -> None:
    """A province's table under `--extends` may tighten its parent's thresholds, never loosen them:
    each loosened value named by its row, in both languages (the loader would say it in English,
    and its remedy, `loosening_exception`, has no column in the table)."""
    from ..diff import diff

    try:
        full = Ruleset.model_validate(_unsuffixed(data, parent))
        changes = diff(parent, full).changes
    except Exception:  # not a valid set yet: the loader names what is wrong
        return
    problems = _Problems(source)
    for change in changes:
        if change.kind != "threshold" or not change.loosened:
            continue
        row = next((where for key, where in rows_of.items() if key.endswith(f".indicators[id={change.indicator}]")
                    and key.startswith("criteria[")), SHEETS["rows"])
        problems.add(row, f"chỉ tiêu {change.indicator}, {change.dimension}, năm {change.years}: ngưỡng {change.b} "
                          f"lỏng hơn ngưỡng {change.a} của bộ {parent.id}",
                     f"indicator {change.indicator}, {change.dimension}, {change.years}: the value {change.b} is looser "
                     f"than {parent.id}'s {change.a}",
                     "giữ ngưỡng của bộ gốc hoặc đặt ngưỡng chặt hơn; một ngoại lệ được phép nới lỏng phải ghi vào tệp "
                     "YAML (loosening_exception, kèm nguồn), bảng chưa có cột cho nó",
                     "keep the parent's value or a stricter one; an exception allowed to loosen it goes in the YAML "
                     "file (loosening_exception, with its source): the table has no column for it")
    problems.raise_first()


def _placed(line: str, rows_of: dict[str, str]) -> str:
    """A loader problem ("table.xlsx: criteria[id=5].indicators[id=5.1].thresholds: ...") with the
    row of the table it comes from."""
    def within(key: str) -> bool:  # "criteria.2.indicators.2.1" is not within "...indicators.2.10"
        at = line.find(key)
        return at >= 0 and line[at + len(key):at + len(key) + 1] in ("", ".", ":", "[", " ", ")")

    found = [key for key in rows_of if within(key)]
    if not found:
        return line
    key = max(found, key=len)
    sheet, _, row = rows_of[key].partition("!")
    return line.replace(key, f"{sheet}, dòng {row} ({key})", 1)


def write_yaml(data: dict, path: str | Path) -> Path:
    """A new file (never one that exists, never through a link: O_EXCL | O_NOFOLLOW)."""
    import yaml

    text = yaml.safe_dump(copy.deepcopy(data), allow_unicode=True, sort_keys=False, width=120)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("# Written by ntm-assess rulesets import from a workbook; the table is the source.\n" + text)
    return Path(path)
