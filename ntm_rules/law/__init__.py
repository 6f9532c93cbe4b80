"""The criteria sets: what the law says, nothing about communes. Modules import one way:

    schema  ← the YAML format as pydantic models (no I/O)
    resolve ← a full set narrowed to one region or commune group and one year
    inherit ← `extends:` merged into a full set, origins recorded (uses resolve)
    load    ← find, read within limits, validate, the catalogue of fields (uses inherit)
    tables  ← the set as a workbook: export, import, drafts (uses load)
    diff    ← what differs between two sets (uses resolve)

Nothing here imports the rest of ntm_rules (but errors, limits, files and regions).
"""
