"""Checks logged AWS requests against botocore's service models.

Input: entries of the plug-in's request log (``/forgectl-plugin/requests``),
whose ``params`` are the request parsed back into the operation's input shape.
For each one, by the constraints AWS publishes in the model:

* required members present (in every nested structure);
* types (string, integer, boolean, list, map, structure; blobs and timestamps
  as the wire carries them: strings or numbers);
* ``enum`` values;
* ``min``/``max``: string length, list and map size, numeric range;
* ``pattern`` (the model's regex over the whole value, as AWS applies it; a pattern
  Python's ``re`` cannot compile is skipped and counted).

Not covered, counted as skipped: requests whose body could not be read
(``params`` null, e.g. CBOR), operations botocore does not know, form keys no
member accounted for (``unmapped``), and masked sensitive values (their
patterns; their lengths are kept). HTTP headers of REST calls are not logged.

Run: ``python request_shapes.py LOG.json`` (a JSON list of entries, or
``{"requests": [...]}``): prints one line per violation and the skipped counts;
exit status 1 when anything is malformed.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from moto_plugin.request_params import REDACTED, service_model  # noqa: E402


@dataclass
class Report:
    checked: int = 0
    violations: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)

    def ok(self) -> bool:
        return not self.violations

    def summary(self) -> str:
        skipped = ", ".join(f"{why}: {n}" for why, n in sorted(self.skipped.items())) or "none"
        return f"{self.checked} requests checked, {len(self.violations)} violations; skipped: {skipped}"


def check_entries(entries: list[dict[str, Any]]) -> Report:
    report = Report()
    for entry in entries:
        label = f"#{entry.get('seq')} {entry.get('service')}:{entry.get('operation')}"
        if entry.get("params") is None:
            report.skipped[f"unreadable body ({entry.get('protocol')})"] += 1
            continue
        model = service_model(entry.get("service", ""), entry.get("api_version"))
        if model is None or entry.get("operation") not in model.operation_names:
            report.skipped["operation not in botocore"] += 1
            continue
        if entry.get("unmapped"):
            report.skipped["unmapped form keys"] += len(entry["unmapped"])
        shape = model.operation_model(entry["operation"]).input_shape
        report.checked += 1
        if shape is None:
            continue
        for problem in validate(shape, entry["params"], "", report.skipped):
            report.violations.append(f"{label}: {problem}")
    return report


def validate(shape: Any, value: Any, path: str, skipped: Counter[str]) -> list[str]:
    where = path or "input"
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{where}: expected a structure, got {type(value).__name__}"]
        problems = [
            f"{where}: required member {name} is missing"
            for name in shape.required_members
            if value.get(name) is None
        ]
        for name, member in shape.members.items():
            if name in value and value[name] is not None:
                problems += validate(member, value[name], f"{path}.{name}" if path else name, skipped)
        return problems
    if kind == "list":
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {type(value).__name__}"]
        problems = _bounds(shape, len(value), where, "items")
        for index, item in enumerate(value):
            problems += validate(shape.member, item, f"{where}[{index}]", skipped)
        return problems
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{where}: expected a map, got {type(value).__name__}"]
        problems = _bounds(shape, len(value), where, "entries")
        for key, item in value.items():
            problems += validate(shape.key, key, f"{where} key {key!r}", skipped)
            problems += validate(shape.value, item, f"{where}[{key!r}]", skipped)
        return problems
    if kind == "string":
        if not isinstance(value, str):
            return [f"{where}: expected a string, got {type(value).__name__}"]
        problems = _bounds(shape, len(value), where, "characters")
        enum = shape.metadata.get("enum")
        if enum and value not in enum:
            problems.append(f"{where}: {value!r} is not one of {enum}")
        pattern = shape.metadata.get("pattern")
        if pattern:
            problems += _pattern(pattern, value, where, skipped)
        return problems
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{where}: expected an integer, got {value!r}"]
        return _bounds(shape, value, where, None)
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return [f"{where}: expected a number, got {value!r}"]
        return _bounds(shape, value, where, None)
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{where}: expected a boolean, got {value!r}"]
    if kind in ("blob", "timestamp"):
        return [] if isinstance(value, (str, int, float)) else [f"{where}: unexpected {kind} value {value!r}"]
    skipped[f"type {kind}"] += 1
    return []


def _bounds(shape: Any, size: float, where: str, unit: str | None) -> list[str]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    what = f"{size} {unit}" if unit else str(size)
    if low is not None and size < low:
        return [f"{where}: {what}, less than the minimum {low}"]
    if high is not None and size > high:
        return [f"{where}: {what}, more than the maximum {high}"]
    return []


_COMPILED: dict[str, Any] = {}

try:  # Unicode classes (\p{L}, ...) as the models use them; `re` has none.
    import regex as _regex_engine
except ImportError:  # pragma: no cover - then such patterns are skipped and counted
    _regex_engine = re


def _translate(pattern: str) -> str:
    """The models' Java-flavoured classes in Python syntax: UTF-16 surrogate pairs
    as the code points they encode, and a `-` after a class escape (`[\\w-/]`) as a literal."""
    pattern = pattern.replace("\\uD800\\uDC00-\\uDBFF\\uDFFF", "\\U00010000-\\U0010FFFF")
    return re.sub(r"(\\[wdsWDS])-", r"\1\\-", pattern)


def _pattern(pattern: str, value: str, where: str, skipped: Counter[str]) -> list[str]:
    if value and set(value) == {REDACTED}:
        skipped["pattern of a masked value"] += 1
        return []
    if pattern not in _COMPILED:
        try:
            _COMPILED[pattern] = _regex_engine.compile(_translate(pattern))
        except (re.error, _regex_engine.error):
            _COMPILED[pattern] = None
    compiled = _COMPILED[pattern]
    if compiled is None:
        skipped["pattern Python cannot compile"] += 1
        return []
    # The whole value, as AWS's services apply model patterns: IAM refuses the
    # RoleName "a b" ("failed to satisfy constraint: ... pattern: [\\w+=,.@-]+").
    if compiled.fullmatch(value) is None:
        return [f"{where}: {value!r} does not match the pattern {pattern}"]
    return []


def main(argv: list[str]) -> int:
    data = json.loads(Path(argv[1]).read_text()) if len(argv) > 1 else json.load(sys.stdin)
    entries = data["requests"] if isinstance(data, dict) else data
    report = check_entries(entries)
    for line in report.violations:
        print(line)
    print(report.summary())
    return 0 if report.ok() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
