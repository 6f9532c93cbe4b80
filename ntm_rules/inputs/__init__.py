"""Untrusted input stops here: commune documents, spreadsheet rows, registered lists, templates.

- `document`: the commune document of the input contract, strict JSON.
- `sources`: batch inputs (folders of JSON, JSON Lines, CSV, XLSX) as rows.
- `template`: the spreadsheet a clerk fills.
"""
