"""Reading YAML safely, keeping where every key and value was written.

Numbers are kept as the text the user typed (``0.30`` stays ``"0.30"``) so the
amount parser can keep their precision; a duplicate key is an error, not a
silent overwrite; aliases are expanded under a hard limit, and one that refers
to the value it is part of is refused, as is nesting deeper than any scorecard
needs; only the safe YAML types are built; only a regular file of at most
MAX_BYTES is read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scorecards.errors import InputError, Problem
from scorecards.files import read_input

# libyaml's parser when PyYAML was built with it (15x faster), else the pure-Python one; both are safe.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_BYTES = 1_000_000
MAX_NODES = 200_000
MAX_DEPTH = 50  # a scorecard nests 7 deep; deeper files could only exhaust the stack
SIZE_HINT = "a scorecard file is a few kilobytes; split or trim it"

Loc = tuple[Any, ...]
Pair = tuple[yaml.Node, yaml.Node]

_BOOL_TRUE = {"true", "True", "TRUE"}
_BOOL_FALSE = {"false", "False", "FALSE"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Document:
    """A parsed YAML file: its data and the position of every key and value."""

    path: str
    data: Any
    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # found while reading, e.g. duplicate keys

    def locate(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        """1-based line and column of ``loc``, or of its nearest written ancestor."""
        loc = tuple(loc)
        if key and loc in self.keys:
            return self.keys[loc]
        while loc:
            if loc in self.values:
                return self.values[loc]
            loc = loc[:-1]
        return self.values.get((), (1, 1))

    def problem(self, loc: Loc, message: str, hint: str = "", *, key: bool = False) -> Problem:
        line, col = self.locate(loc, key=key)
        return Problem(self.path, line, col, field_path(loc), message, hint)


def field_path(loc: Loc) -> str:
    """('quarters', 0, 'results', 'revenue') -> 'quarters[0].results.revenue'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def load_yaml(path: Path | str, display_path: str | None = None) -> Document:
    """Read one YAML file; raise InputError with located problems."""
    name = display_path or str(path)
    return parse_yaml(read_yaml_file(Path(path), name), name)


def read_yaml_file(path: Path, name: str) -> bytes:
    """The bytes of a YAML input file: a regular file of at most MAX_BYTES (a FIFO or a link to /dev/zero is refused
    before it is read); InputError on its first line otherwise."""
    try:
        return read_input(path, MAX_BYTES, size_hint=SIZE_HINT)
    except OSError as exc:
        problem = Problem(name, 1, 1, "", f"cannot read the file: {exc.strerror}", getattr(exc, "hint", ""))
        raise InputError([problem]) from None


def parse_yaml(raw: bytes, name: str) -> Document:
    if len(raw) > MAX_BYTES:
        raise InputError(
            [
                Problem(
                    name,
                    1,
                    1,
                    "",
                    f"the file is {len(raw):,} bytes, over the limit of {MAX_BYTES:,}",
                    SIZE_HINT,
                )
            ]
        )
    text = _decode(raw, name)
    if not text.strip():
        raise InputError([Problem(name, 1, 1, "", "the file is empty", "start from `scorecard new TICKER`")])
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except (yaml.MarkedYAMLError, RecursionError) as exc:  # RecursionError: the composer without libyaml
        line, col, depth = _deepest(text)  # libyaml stops at 1,000 levels: say where the 51st began
        if depth > MAX_DEPTH:
            raise InputError([_too_deep(name, line, col)]) from None
        if isinstance(exc, RecursionError):  # pragma: no cover - only without libyaml, and then depth is over
            raise
        raise InputError([_yaml_problem(name, _clearer_error(text) or exc)]) from None
    except yaml.YAMLError as exc:  # pragma: no cover - all composer errors are marked
        raise InputError([Problem(name, 1, 1, "", f"not valid YAML: {exc}")]) from None
    if node is None:
        raise InputError([Problem(name, 1, 1, "", "the file holds no data", "start from `scorecard new TICKER`")])
    builder = _Builder(name, text)
    data = builder.build(node, ())
    if builder.count > MAX_NODES or builder.stopped:
        raise InputError(builder.problems)
    return Document(name, data, builder.values, builder.keys, builder.problems)


def _decode(raw: bytes, name: str) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise InputError(
            [Problem(name, line, col, "", f"byte 0x{raw[exc.start]:02x} is not UTF-8 text", "save the file as UTF-8")]
        ) from None


def _clearer_error(text: str) -> yaml.MarkedYAMLError | None:
    """The pure-Python parser's account of a syntax error: it names tabs and brackets more plainly."""
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        return exc
    except RecursionError:
        return None
    return None


def _events(text: str) -> Iterator[yaml.Event]:
    """The parser's events, up to the first syntax error (the parser keeps a stack, not the call stack)."""
    try:
        yield from yaml.parse(text, Loader=_LOADER)
    except yaml.YAMLError:
        return


_OPENING = (
    yaml.FlowSequenceStartToken,
    yaml.FlowMappingStartToken,
    yaml.BlockSequenceStartToken,
    yaml.BlockMappingStartToken,
)
_CLOSING = (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken, yaml.BlockEndToken)


def _deepest(text: str) -> tuple[int, int, int]:
    """Line, column and depth of the first collection opened more than MAX_DEPTH deep (or of the deepest).

    Read by the pure-Python scanner, which has no depth limit of its own (libyaml's stops at 1,000 levels, before
    its parser hands out any event) and keeps its state in counters, not on the call stack."""
    depth, deepest = 0, (1, 1, 0)
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, _OPENING):
                depth += 1
                if depth > deepest[2]:
                    deepest = (token.start_mark.line + 1, token.start_mark.column + 1, depth)
                    if depth > MAX_DEPTH:
                        break
            elif isinstance(token, _CLOSING):
                depth -= 1
    except yaml.YAMLError:
        pass
    return deepest


def _too_deep(name: str, line: int, col: int) -> Problem:
    return Problem(
        name,
        line,
        col,
        "",
        f"nested more than {MAX_DEPTH} levels deep",
        "a scorecard file nests a few levels; check the brackets and the indentation",
    )


def _recursive_alias(text: str) -> tuple[int, int, str]:
    """Line, column and anchor of the first alias that refers to a value still open around it (``a: &r [*r]``)."""
    open_anchors: list[str | None] = []
    for event in _events(text):
        if isinstance(event, yaml.CollectionStartEvent):
            open_anchors.append(event.anchor)
        elif isinstance(event, yaml.CollectionEndEvent):
            open_anchors.pop()
        elif isinstance(event, yaml.AliasEvent) and event.anchor in open_anchors:
            mark = event.start_mark
            return (mark.line + 1, mark.column + 1, str(event.anchor)) if mark else (1, 1, str(event.anchor))
    return 1, 1, ""  # pragma: no cover - the builder found one, so the events hold one


def _yaml_problem(name: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message = " ".join(filter(None, [exc.context, exc.problem])) or "not valid YAML"
    hint = ""
    if "'\\t'" in message or "tab" in message.lower():
        message, hint = "a tab character where YAML expects spaces", "indent with spaces, not tabs"
    elif "mapping values are not allowed" in message:
        hint = "put quotes around text that contains ': '"
    elif "expected <block end>" in message:
        hint = "check the indentation of this line against the lines above"
    return Problem(name, line, col, "", f"not valid YAML: {message}", hint)


class _Builder:
    """Turns a composed YAML node tree into plain data, recording positions."""

    def __init__(self, name: str, text: str):
        self.name = name
        self.text = text
        self.values: dict[Loc, tuple[int, int]] = {}
        self.keys: dict[Loc, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self.count = 0
        self.open: list[yaml.Node] = []  # the collections being built, outermost first
        self.stopped = False  # by an alias to a value it is part of, or by nesting too deep: the data is unusable

    def _mark(self, node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    def _problem(self, node: yaml.Node, loc: Loc, message: str, hint: str = "") -> None:
        line, col = self._mark(node)
        self.problems.append(Problem(self.name, line, col, field_path(loc), message, hint))

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            if self.count == MAX_NODES + 1:
                self._problem(
                    node,
                    loc,
                    f"more than {MAX_NODES:,} values after expanding aliases",
                    "remove the anchors and aliases (& and *) that repeat data",
                )
            return None
        self.values.setdefault(loc, self._mark(node))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, loc)
        if not self._enter(node, loc):
            return None
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, loc)
            return [self.build(item, loc + (i,)) for i, item in enumerate(node.value)]
        finally:
            self.open.pop()

    def _enter(self, node: yaml.Node, loc: Loc) -> bool:
        """Open a collection, unless it is already open (an alias to a value it is part of) or nested too deep."""
        if self.stopped:
            return False
        if any(node is outer for outer in self.open):
            self._cycle(loc)
            return False
        if len(self.open) >= MAX_DEPTH:
            self.stopped = True
            self.problems.append(_too_deep(self.name, *self._mark(node)))
            return False
        self.open.append(node)
        return True

    def _cycle(self, loc: Loc) -> None:
        self.stopped = True
        line, col, anchor = _recursive_alias(self.text)
        self.problems.append(
            Problem(
                self.name,
                line,
                col,
                field_path(loc),
                f"*{anchor} refers to the value it is part of (&{anchor}), which would repeat without end",
                "refer only to a value written before the alias, outside it",
            )
        )

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[str, yaml.Node] = {}
        for key_node, value_node in self._flatten(node, loc):
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem(key_node, loc, "a key must be plain text")
                continue
            key = str(key_node.value)
            if key in seen:
                first = seen[key].start_mark.line + 1
                self._problem(
                    key_node,
                    loc + (key,),
                    f"duplicate key '{key}' (first written on line {first})",
                    "remove one of them; YAML would silently keep only the last",
                )
                continue
            seen[key] = key_node
            self.keys[loc + (key,)] = self._mark(key_node)
            out[key] = self.build(value_node, loc + (key,))
        return out

    def _flatten(self, node: yaml.MappingNode, loc: Loc = (), merging: tuple[yaml.Node, ...] = ()) -> list[Pair]:
        """Pairs of a mapping, with YAML merge keys (<<) applied; explicit keys win."""
        pairs: list[Pair] = []
        merged: list[Pair] = []
        merging += (node,)
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in sources:
                    if any(source is m for m in merging) or any(source is outer for outer in self.open):
                        self._cycle(loc + ("<<",))
                        return []
                    if len(merging) >= MAX_DEPTH:
                        self.stopped = True
                        self.problems.append(_too_deep(self.name, *self._mark(source)))
                        return []
                    if isinstance(source, yaml.MappingNode):
                        merged.extend(self._flatten(source, loc, merging))
                continue
            pairs.append((key_node, value_node))
        explicit = {k.value for k, _ in pairs if isinstance(k, yaml.ScalarNode)}
        return pairs + [(k, v) for k, v in merged if k.value not in explicit]

    def _scalar(self, node: yaml.ScalarNode, loc: Loc) -> Any:
        tag, value = node.tag, node.value
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            if value in _BOOL_TRUE:
                return True
            if value in _BOOL_FALSE:
                return False
            return value  # yes/no/on/off stay text: "NO" is a ticker, not False
        if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:str"):
            return value
        if tag == "tag:yaml.org,2002:timestamp":
            if _DATE.match(value):
                try:
                    return dt.date.fromisoformat(value)
                except ValueError:
                    return value  # an impossible date: the schema reports it with its position
            return value
        self._problem(node, loc, f"unsupported YAML tag {tag}", "remove the tag; scorecard files hold plain data only")
        return None
