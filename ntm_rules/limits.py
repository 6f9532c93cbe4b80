"""The limits on what ntm-rules reads: beyond them an input is refused at once, never half-read.

They are far above any real commune or criteria set and low enough that a hostile file is
refused in well under a second without using much memory. `ntm-assess --help` prints them.
"""
from __future__ import annotations

MAX_TEXT = 200                      # characters in a name, district, province, code or ruleset id
MAX_ROW_BYTES = 1 << 20             # one commune document, one JSON Lines line, one spreadsheet row
MAX_INT_DIGITS = 15                 # digits of an integer in JSON
MAX_DEPTH = 20                      # nesting of objects and lists in a JSON document
MAX_XLSX_UNCOMPRESSED = 200 << 20   # sum of the uncompressed parts of a workbook
MAX_XLSX_SHARED_STRINGS = 10 << 20  # its table of texts, read whole before any row (a real one is a few MB)
MAX_XLSX_STYLES = 4 << 20           # its table of styles, likewise (a real one is under 1 MB)
MAX_RULESET_BYTES = 1 << 20         # a ruleset YAML file
MAX_REGISTERED_BYTES = 2 << 20      # a list of registered communes
MAX_REGISTERED = 20_000             # communes in it (a province has a few hundred, the country about 8 000)
MAX_YAML_DEPTH = 40                 # nesting in a ruleset file

# value ranges (a value outside is an input error; a threshold outside is a ruleset error)
MAX_COUNT = 10**MAX_INT_DIGITS - 1  # a count in a commune document
MAX_NUMBER = 1e15                   # any other number in a commune document
# plausible values by field type, unless the ruleset's `fields` gives a field its own range
PLAUSIBLE = {"pct": (0, 100), "count": (0, 10**6), "number": (0, 10**6), "year": (1945, 2100)}
THRESHOLD_COUNT_MAX = 10**6
THRESHOLD_NUMBER_MAX = 1e9
PERIOD_YEARS = (2000, 2100)

HELP = (f"Limits: names and codes at most {MAX_TEXT} characters; a document or row at most 1 MB; "
        f"integers at most {MAX_INT_DIGITS} digits; nesting at most {MAX_DEPTH} levels; a workbook's "
        f"uncompressed parts at most 200 MB (its table of texts at most 10 MB, of styles 4 MB); a ruleset file at most 1 MB. Beyond them the row (or file) is refused.")
