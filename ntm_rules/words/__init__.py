"""The words reports and the office's pages print: one catalogue per language (`catalogue.py`,
one key per meaning) and the phrases every report shares (`phrases.py`: numbers and dates in the
reader's convention, a value with its unit, a requirement, a gap, a legal basis, a department,
how sure a verdict is). Nothing of the package below it: every room may use it."""
