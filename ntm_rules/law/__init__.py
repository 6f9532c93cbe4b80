"""The criteria sets: what the law says, nothing about communes. Modules import one way:

    schema    ← the YAML format as pydantic models (no I/O)
    resolve   ← a full set narrowed to one region or commune group and one year
    inherit   ← `extends:` merged into a full set, origins recorded (uses resolve)
    check     ← the format's rules a schema cannot say, ruleset ids, completeness (uses schema)
    load      ← find, read within limits, validate, keep by identity (uses inherit, check, yamlfile)
    in_force  ← the installed sets and the one in force for some years (uses load, check)
    catalogue ← the fields the installed sets name (uses in_force, load)
    diff      ← what differs between two sets (uses resolve)
    tables/   ← the set as a workbook: layout ← export, layout ← rows ← import_ (uses load, diff),
                drafts (uses periods)

Beside them: periods (the national periods and the values a public page confirms), identity (a
set's identity), cache (the sets kept in memory and on disk, by identity), yamlfile (a set's
file read within limits, its problems worded).

Nothing here imports the rest of ntm_rules (but errors, limits, files and regions).
"""
