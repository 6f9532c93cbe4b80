"""Reading a ruleset file: safe YAML (no tags, anchors or aliases, bounded nesting and size),
duplicate keys found, and validation problems as one line each (file, key path, fix)."""
from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import ValidationError

from ..errors import RulesetError
from ..files import read_limited
from ..limits import MAX_RULESET_BYTES, MAX_YAML_DEPTH


def _display(path: Path) -> str:
    """A path as messages show it: relative to the current folder when it is inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def _check_duplicates(node, path: str, out: list[str]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                out.append(f"{path or 'top'} (line {key_node.start_mark.line + 1}): a key that is not text; "
                           "fix: write keys as plain words")
                continue
            key = key_node.value
            here = f"{path}.{key}" if path else str(key)
            if key in seen:
                out.append(f"{here} (line {key_node.start_mark.line + 1}): duplicate key, "
                           f"first written on line {seen[key]}; fix: keep one of them")
            else:
                seen[key] = key_node.start_mark.line + 1
            _check_duplicates(value_node, here, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _check_duplicates(item, _item_path(path, index, item), out)


def _item_path(path: str, index: int, item) -> str:
    """`criteria[id=10]` when the list item has an id, else `criteria[3]`."""
    item_id = None
    if isinstance(item, yaml.MappingNode):
        for key_node, value_node in item.value:
            if key_node.value == "id" and isinstance(value_node, yaml.ScalarNode):
                item_id = value_node.value
    elif isinstance(item, dict):
        item_id = item.get("id")
    return f"{path}[id={item_id}]" if item_id is not None else f"{path}[{index}]"


class _RulesetYamlLoader(yaml.SafeLoader):
    """Safe YAML without anchors or aliases (a criteria set needs none, and nested aliases can
    expand a few hundred bytes into billions of nodes) and with bounded nesting."""

    _depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "an alias (*name): a ruleset writes every value out",
                                              event.start_mark)
        if getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(None, None, "an anchor (&name): a ruleset writes every value out",
                                              event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_YAML_DEPTH} levels",
                                                  event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def read_ruleset_bytes(path: Path) -> bytes:
    """The bytes of a ruleset file (a regular file of at most 1 MB), else RulesetError."""
    name = _display(path)
    return read_limited(path, MAX_RULESET_BYTES, lambda message, fix: RulesetError([f"{name}: {message}; fix: {fix}"]),
                        "ruleset file")


def read_yaml(path: Path, raw: bytes | None = None) -> tuple[dict, bytes]:
    """Safe-load one ruleset file (a regular file of at most 1 MB); duplicate keys, anchors,
    aliases and YAML syntax errors are RulesetErrors."""
    name = _display(path)
    if raw is None:
        raw = read_ruleset_bytes(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RulesetError([f"{name}: the file is not UTF-8 text; fix: save it as UTF-8"]) from None
    loader = _RulesetYamlLoader(text)
    try:
        node = loader.get_single_node()
        problems: list[str] = []
        _check_duplicates(node, "", problems)
        if problems:
            raise RulesetError([f"{name}: {p}" for p in problems])
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise RulesetError([f"{name}:{where}: not valid YAML for a ruleset ({problem}); fix: correct the YAML there"]) from None
    except RecursionError:
        raise RulesetError([f"{name}: nested too deeply; fix: write the ruleset's flat shape"]) from None
    except (ValueError, TypeError) as error:  # e.g. an integer of thousands of digits, a list as a key
        raise RulesetError([f"{name}: not valid YAML for a ruleset ({str(error)[:100]}); "
                            "fix: write plain keys, numbers and texts"]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise RulesetError([f"{name}: the file is not a mapping of keys; fix: start with `id:`, `title:`, ..."])
    return data, raw


_FIXES = {
    "extra_forbidden": "remove it or correct its spelling",
    "missing": "add it",
    "bool_type": "write true or false",
    "int_type": "write a whole number",
    "float_type": "write a number",
    "string_type": "write text",
    "literal_error": "use one of the allowed values",
    "date_from_datetime_parsing": "write a date as YYYY-MM-DD",
    "tuple_type": "write [from, to]",
}


def _loc_path(data, loc: tuple) -> str:
    parts, node = [], data
    for key in loc:
        if isinstance(key, int) and isinstance(node, list):
            item = node[key] if key < len(node) else None
            prefix = ".".join(parts)
            parts = [_item_path(prefix, key, item)]
            node = item
        elif isinstance(key, str) and key.startswith(("list[", "Threshold", "tuple[")):
            continue  # pydantic's union-branch markers
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts)


def validation_problems(name: str, data: dict, error: ValidationError) -> list[str]:
    lines, seen = [], set()
    for item in error.errors():
        path = _loc_path(data, item["loc"])
        fix = _FIXES.get(item["type"], "correct the value")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        else:
            message = item["msg"].lower()
        line = f"{name}: {path}: {message}; fix: {fix}"
        if line not in seen:
            seen.add(line)
            lines.append(line)
    return lines
