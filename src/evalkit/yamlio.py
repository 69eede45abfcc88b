"""YAML as the project reads it: a key given twice is an error, not "the last one wins"."""

from __future__ import annotations

import yaml

from evalkit.errors import DataError, EvalkitError


class _UniqueKeyLoader(yaml.SafeLoader):
    pass


def _mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # `<<: *anchor` merges may be overridden by the mapping's own keys
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice (first at line {seen[key] + 1})", key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_yaml(text: str, file, error: type[EvalkitError] = DataError):
    """Parse YAML text; a syntax error or a duplicate key names the file and the line."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 — a SafeLoader subclass
    except yaml.YAMLError as e:
        raise error(f"not valid YAML: {e}", file=file, expected="YAML with every key once") from e


def load_yaml_file(path, what: str, error: type[EvalkitError] = DataError):
    """Read and parse a YAML file; an unreadable file is named with what it was meant to be."""
    from pathlib import Path

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise error(f"cannot read the {what}: {e}", file=path) from e
    return load_yaml(text, path, error)
