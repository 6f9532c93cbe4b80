"""A criteria set as the decisions print it, in a workbook an office fills: export, import, drafts.

`export(ruleset, path)` (`export.py`) writes:
- "Chỉ tiêu": one row per indicator (one per number of a two-number indicator): criterion,
  indicator, content in Vietnamese and English, field, unit, type, comparison, lead department,
  then one group of columns per region or commune group (and per span of years where values
  change by year): value, source, confirmed (Có/Không), bound, note. Row 1 names the columns for
  people, row 2 for the importer;
- "Bộ tiêu chí" (id, title, decision, period, in force, ...), "Nguồn" (each source: address,
  document, note), "Sở, ngành", "Nhóm tiêu chí", "Trường" (labels, units, plausible ranges of the
  fields the set adds), and a guide sheet.
`read_workbook(path)` (`import_.py`, the rows read cell by cell in `rows.py`) turns a filled
workbook back into a ruleset mapping (errors name the sheet, the cell and the fix, in both
languages); `delta(mapping, parent)` keeps what differs from a parent (`--extends`);
`import_workbook` writes the set once it loads. Export then import is exact: an inherited
threshold keeps its citation (its source is written with the parent's document).
`draft(period)` (`drafts.py`) is the workbook of a period whose table could not be read: its
criteria and columns, every value left for the office. The sheets and columns are in `layout.py`.

Modules import one way: layout ← export; layout ← rows ← import_; drafts on its own (none imports
this package's __init__).
"""
from .drafts import draft
from .export import export
from .import_ import delta, import_workbook, read_workbook
from .layout import ROW_COLUMNS, SHEETS, VALUE_PARTS

__all__ = ["ROW_COLUMNS", "SHEETS", "VALUE_PARTS", "delta", "draft", "export", "import_workbook", "read_workbook"]
