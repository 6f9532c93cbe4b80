"""The reports an official reads and signs, one job a module: the text report of a commune and of
a resolved set (`text.py`), its HTML page and the summary's (`html.py`), the remediation plan
(`plan.py`), the provincial summary's figures (`summary.py`, the model; `tallies.py`, built from
one record per commune) and its text (`summary_text.py`), the rejected rows' workbook
(`rejected.py`), and the history's views (`progress.py`).

They read an `Assessment` (and the summary and the history their own records), never the engine;
their words come from `ntm_rules.words`."""
