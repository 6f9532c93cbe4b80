"""The words reports print: the phrases every report shares (`phrases.py`: labels, numbers in the
reader's convention, a value with its unit, a requirement, a gap, a legal basis, a department,
how sure a verdict is)."""
