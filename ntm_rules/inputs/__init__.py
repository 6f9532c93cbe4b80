"""Untrusted input stops here: commune documents, spreadsheet rows, registered lists, templates.

- `json_text`: JSON text and files read strictly, as the input contract means JSON.
- `document`: the commune document of the input contract, validated (its model and its errors).
- `rows`: one input row (`Row`) and one sheet (`SheetInfo`), as every reader of a batch gives them.
- `sources`: batch inputs (folders of JSON, JSON Lines, CSV, XLSX) as rows, scanned before the batch.
- `tables`: spreadsheets as clerks fill them (CSV, every sheet of a workbook), header found.
- `columns`: spreadsheet columns and cells as clerks write them, turned into the contract's document.
- `registered`: the list of communes registered to attain the standard this year.
- `template`: the spreadsheet a clerk fills.
"""
