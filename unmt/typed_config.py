"""Typed configuration sections for every trainer: fields with help text and bounds, YAML and `--set` loading.

A section is a dataclass whose fields are made by `option(default, help, ...)`. The field's type says what a
value may be: `Literal[...]` lists the allowed strings, `Schedule` is a loss weight or rate over steps, parsed once
at load. Bounds (`at_least`, `below`, ...) are checked with the type, so a trainer's own `validate` keeps only
the rules that relate several fields. Every mistake is a ConfigError naming the key, raised before any work.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import field
from pathlib import Path
from typing import Any, Literal

import yaml

from unmt.errors import ConfigError
from unmt.schedules import PiecewiseLinear as Schedule

__all__ = ["ConfigError", "Schedule", "option", "from_dict", "to_dict", "read_values", "apply_override",
           "changed_settings", "describe", "options_markdown", "options_summary"]


def option(default: Any, help: str, *, at_least: float | None = None, above: float | None = None,
           below: float | None = None, at_most: float | None = None):
    """A config field: its default, one line of help, and bounds that its value (every value of a schedule) obeys."""
    bounds = {"at_least": at_least, "above": above, "below": below, "at_most": at_most}
    metadata = {"help": help, "bounds": {k: v for k, v in bounds.items() if v is not None}}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def section(cls, help: str = ""):
    """A config field holding a whole section (a dataclass), with the section's own help."""
    return field(default_factory=cls, metadata={"help": help or (cls.__doc__ or "").strip(), "bounds": {}})


_CHECKS = {
    "at_least": (lambda v, b: v >= b, "at least"),
    "above": (lambda v, b: v > b, "above"),
    "below": (lambda v, b: v < b, "below"),
    "at_most": (lambda v, b: v <= b, "at most"),
}


def _check_bounds(value, bounds: dict, key: str) -> None:
    values = [v for _, v in value.points] if isinstance(value, Schedule) else [value]
    for name, bound in bounds.items():
        ok, words = _CHECKS[name]
        for v in values:
            if not ok(v, bound):
                raise ConfigError(f"'{key}' must be {words} {bound:g}, got {v:g}")


def from_dict(cls, values: dict, where: str = ""):
    """Builds dataclass `cls` from a nested dict, rejecting unknown keys, values of the wrong type or out of bounds."""
    if not isinstance(values, dict):
        raise ConfigError(f"'{where or 'config'}' must be a mapping of keys to values, got {values!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        prefix = f"{where}." if where else ""
        raise ConfigError(f"unknown config key '{prefix}{unknown[0]}'; known keys here: {', '.join(sorted(fields))}")
    kwargs = {}
    for name, value in values.items():
        key = f"{where}.{name}" if where else name
        kwargs[name] = _coerce(hints[name], value, key)
        _check_bounds(kwargs[name], fields[name].metadata.get("bounds", {}), key)
    return cls(**kwargs)


def _coerce(kind, value, key):
    if dataclasses.is_dataclass(kind):
        return from_dict(kind, value or {}, key)
    if typing.get_origin(kind) is Literal:
        choices = typing.get_args(kind)
        if value not in choices:
            raise ConfigError(f"'{key}' must be one of {', '.join(map(str, choices))}, got {value!r}")
        return value
    if kind is Schedule:
        if isinstance(value, Schedule):
            return value
        try:
            return Schedule.parse(value)
        except (ValueError, TypeError) as error:
            raise ConfigError(f"'{key}': {error}") from None
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind is float and isinstance(value, str):  # YAML 1.1 reads 5e-4 (no dot) as a string
        try:
            return float(value)
        except ValueError:
            pass
    if isinstance(kind, type) and isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    if isinstance(kind, types.UnionType):
        return value
    if typing.get_origin(kind) is list:  # a YAML list; one bare item (`--set key=path`) is read as a list of it
        item_kind = typing.get_args(kind)[0]
        items = value if isinstance(value, list) else [value]
        return [_coerce(item_kind, item, f"{key}[{i}]") for i, item in enumerate(items)]
    raise ConfigError(f"'{key}' must be of type {_type_name(kind)}, got {value!r}")


def to_dict(config) -> dict:
    """The plain nested dict of a config (schedules as their `step:value` text), as YAML and JSON store it."""
    out = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            value = to_dict(value)
        elif isinstance(value, Schedule):
            value = value.spec
        elif isinstance(value, list):
            value = list(value)
        out[f.name] = value
    return out


def apply_override(values: dict, assignment: str) -> None:
    """Applies `a.b=value` to a nested dict; the value is read as YAML (so 3, 0.5, true, "0:1,100:0")."""
    if "=" not in assignment:
        raise ConfigError(f"--set expects key=value, got {assignment!r}")
    dotted, raw = assignment.split("=", 1)
    node = values
    parts = dotted.strip().split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"'{dotted}' does not name a config key: '{part}' is a value, not a section")
    try:
        node[parts[-1]] = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        raise ConfigError(f"--set {dotted}: cannot read {raw!r} as a value") from None


def read_values(path: Path | None, overrides: list[str]) -> dict:
    """The nested dict of a YAML file (or nothing) with `--set` overrides applied; not yet typed."""
    values: dict = {}
    if path is not None:
        try:
            values = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except IsADirectoryError:
            raise ConfigError(f"config file {path} is a folder; give a YAML file") from None
        except yaml.YAMLError as error:
            raise ConfigError(f"config file {path} is not valid YAML: {str(error).splitlines()[0]}") from None
        if not isinstance(values, dict):
            raise ConfigError(f"config file {path} must hold sections of keys, got {type(values).__name__}")
    for assignment in overrides:
        apply_override(values, assignment)
    return values


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


_ABSENT = _Absent()


def changed_settings(before: dict, after: dict, where: str = "") -> list[str]:
    """'section.key: old -> new' for every leaf that differs between two nested config dicts; a key only one side
    has (a run saved before the option existed) shows as (absent) on the other."""
    changes = []
    for key in sorted(set(before) | set(after)):
        name, old, new = f"{where}{key}", before.get(key, _ABSENT), after.get(key, _ABSENT)
        if isinstance(old, dict) and isinstance(new, dict):
            changes += changed_settings(old, new, f"{name}.")
        elif old != new:
            changes.append(f"{name}: {old!r} -> {new!r}")
    return changes


def describe(cls, where: str = "") -> list[dict]:
    """One record per leaf key of a config class: key, type, default, help, bounds (for `unmt options`)."""
    records = []
    hints = typing.get_type_hints(cls)
    defaults = cls()
    for f in dataclasses.fields(cls):
        key = f"{where}{f.name}"
        kind = hints[f.name]
        if dataclasses.is_dataclass(kind):
            records += describe(kind, f"{key}.")
            continue
        default = getattr(defaults, f.name)
        records.append({
            "key": key,
            "type": _type_name(kind),
            "default": default.spec if isinstance(default, Schedule) else default,
            "help": f.metadata.get("help", ""),
            "bounds": f.metadata.get("bounds", {}),
        })
    return records


def _type_name(kind) -> str:
    if typing.get_origin(kind) is Literal:
        return " / ".join(map(str, typing.get_args(kind)))
    if kind is Schedule:
        return "schedule"
    if typing.get_origin(kind) is list:
        return f"list of {_type_name(typing.get_args(kind)[0])}"
    return getattr(kind, "__name__", str(kind))


def _bounds_text(bounds: dict) -> str:
    return ", ".join(f"{_CHECKS[name][1]} {value:g}" for name, value in bounds.items())


def options_markdown(cls) -> str:
    """The option reference as a Markdown table, one row per key (docs/options.md is this text)."""
    rows = ["| key | type | default | what it does |", "|---|---|---|---|"]
    for r in describe(cls):
        default = "" if r["default"] in ("", []) else f"`{r['default']}`"
        kind = r["type"] + (f" ({_bounds_text(r['bounds'])})" if r["bounds"] else "")
        rows.append(f"| `{r['key']}` | {kind} | {default} | {r['help']} |")
    return "\n".join(rows) + "\n"


def options_summary(cls) -> str:
    """Every key with its default, one Markdown row per section: the README's short option reference (the full one,
    with types, bounds and help, is options_markdown)."""
    sections: dict[str, list[str]] = {}
    for r in describe(cls):
        section_name, key = r["key"].rsplit(".", 1)
        default = "" if r["default"] in ("", []) else r["default"]
        sections.setdefault(section_name, []).append(f"`{key}={default}`")
    rows = ["| section | keys and defaults |", "|---|---|"]
    rows += [f"| `{name}` | {' '.join(keys)} |" for name, keys in sections.items()]
    return "\n".join(rows) + "\n"


def options_text(cls) -> str:
    """The option reference for a terminal: one block per key."""
    lines = []
    for r in describe(cls):
        bounds = f", {_bounds_text(r['bounds'])}" if r["bounds"] else ""
        lines.append(f"{r['key']} = {r['default']!r}  ({r['type']}{bounds})\n    {r['help']}")
    return "\n".join(lines) + "\n"
