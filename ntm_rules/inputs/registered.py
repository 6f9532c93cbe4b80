"""The communes registered to attain the standard this year, as a province lists them.

`read_registered` reads the list from a file (.txt: one name a line; .csv: a header with `name`,
optionally `district` and `code`; .json: a list of names or of such objects); `check_registered`
checks a list handed over by a caller. Each entry becomes {"name", "district"?, "code"?} of clean
text; the summary matches communes against them (`reports/tallies.py`, names as `places` compares them).
"""
from __future__ import annotations

import csv
from pathlib import Path

from ..errors import InputError, printable
from ..limits import MAX_REGISTERED, MAX_REGISTERED_BYTES, MAX_TEXT
from .columns import code_text
from .json_text import json_value, read_utf8


def read_registered(path: str | Path) -> list[dict]:
    """Communes registered to attain the standard this year.

    A .txt file has one commune name per line; a .csv file has a header with `name` (or
    `commune.name`) and optionally `district` and `code`; a .json file holds a list of names
    or of objects with those keys (numbers are read as text: a code 5503 is "5503"). A commune
    is matched by code when the list gives one (a code read as a number gets its zeros back:
    5503 → "05503"), else by name (and district when given) however it is written: with or
    without "Xã", any case or Unicode form, either tone placement ("Hòa"/"Hoà"), but with its
    tones (a name that matches only without them is a suggestion). The file is a regular file of at
    most 2 MB.
    """
    path = Path(path)
    source = str(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".csv", ".txt"):
        raise InputError(f"cannot read a registered list from {suffix or 'a file without extension'}", source=source,
                         fix="give a .txt (one name per line), .csv or .json file")
    text = read_utf8(path, MAX_REGISTERED_BYTES, "list of registered communes")
    entries: list[dict] = []
    if suffix == ".json":
        items = json_value(text, source)
        if not isinstance(items, list):
            raise InputError("the file is not a JSON list", source=source, fix='write ["Xã A", {"name": "Xã B", "district": "..."}]')
        try:
            entries = check_registered(items)
        except InputError as error:
            raise InputError(error.message, source=source, field=error.field.removeprefix("registered"),
                             fix=error.fix) from None
    elif suffix == ".csv":
        try:
            rows = list(csv.DictReader(text.splitlines()))
        except csv.Error as error:
            raise InputError(f"the file cannot be read as CSV ({error})", source=source,
                             fix="one commune per line: name[,district,code]") from None
        for n, row in enumerate(rows, start=2):
            row = {(k or "").strip().removeprefix("commune."): (v or "").strip() if isinstance(v, str) else ""
                   for k, v in row.items() if k}
            entry = _registered_entry({k: row[k] for k in ("name", "district", "code") if row.get(k)})
            if entry is None:
                raise InputError("the row has no commune name, or a text longer than "
                                 f"{MAX_TEXT} characters", source=source, field=f"row {n}",
                                 fix="add a `name` column and fill it")
            entries.append(entry)
    else:
        for n, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                entry = _registered_entry({"name": line.strip()})
                if entry is None:
                    raise InputError(f"the name is longer than {MAX_TEXT} characters", source=source,
                                     field=f"line {n}", fix="write one commune name per line")
                entries.append(entry)
    if len(entries) > MAX_REGISTERED:
        raise InputError(f"{len(entries)} registered communes, more than the {MAX_REGISTERED} a list may hold",
                         source=source, fix="give one province's registered communes")
    return entries


def check_registered(registered) -> list[dict]:
    """A registered list handed over by a caller: names, or objects with name, district, code."""
    if not isinstance(registered, (list, tuple)):
        raise InputError("the registered communes must be a list", field="registered",
                         fix='give ["Xã A", {"name": "Xã B", "district": "...", "code": "..."}]')
    if len(registered) > MAX_REGISTERED:
        raise InputError(f"{len(registered)} registered communes, more than the {MAX_REGISTERED} a list may hold",
                         field="registered", fix="give one province's registered communes")
    entries = []
    for n, item in enumerate(registered):
        if isinstance(item, (str, int)) and not isinstance(item, bool):
            item = {"name": item}
        entry = _registered_entry(item) if isinstance(item, dict) else None
        if entry is None:
            raise InputError("each entry must be a name or an object with name, district, code (text of at most "
                             f"{MAX_TEXT} characters)", field=f"registered[{n}]",
                             fix='write "Xã A" or {"name": "Xã A", "district": "...", "code": "..."}')
        entries.append(entry)
    return entries


def _registered_entry(item: dict) -> dict | None:
    """name (required), district, code as clean text; None when the entry cannot be one."""
    if set(item) - {"name", "district", "code"}:
        return None
    entry = {}
    for key, value in item.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return None
        if key == "code":  # a code read as a number gets its zeros back (9901 → "09901")
            value = code_text(value)
        text = printable(str(value), keep_newlines=False).strip()
        if len(text) > MAX_TEXT:
            return None
        if text:
            entry[key] = text
    return entry if entry.get("name") else None
