"""Reading an answers file's YAML defensively, before any work is done with it.

- A file over `MAX_BYTES` (answers files are a few kilobytes) or anything but a regular file
  (a FIFO, `/dev/zero`) is refused before it is read.
- The document is composed into YAML's node graph first, where an alias is a reference to its
  anchor's node, not a copy. That graph is measured as if every alias were expanded: more than
  `MAX_VALUES` values (a "billion laughs" alias bomb) or an alias inside itself is refused before
  anything is built from it.
- A key given twice in one mapping is refused, naming both lines (YAML would silently keep the
  last). Keys merged in with `<<: *anchor` may be overridden, as YAML intends.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wizard.core.answers.validate import AnswersError, Problem

if TYPE_CHECKING:
    from yaml.nodes import Node

#: Largest answers file read (1 MiB; the template with every key is about 6 KB).
MAX_BYTES = 1024 * 1024
#: Most values the document may hold with every alias expanded.
MAX_VALUES = 10_000
#: Deepest nesting of lists and mappings (answers files are two levels deep).
MAX_DEPTH = 32

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Refused(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


def _problem(message: str, fix: str, path: str = "") -> Problem:
    return Problem(path, message, fix, has_value=False)


def read_text(path: Path) -> str:
    """The file's text, refusing what is not a small regular UTF-8 file (`AnswersError`)."""
    from wizard.core.fserrors import describe

    source = str(path)
    try:
        # O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise _Refused(
                    [_problem("is not a regular file", "give --answers the path of a YAML file")]
                )
            if info.st_size > MAX_BYTES:
                raise _Refused([_too_big(info.st_size)])
            data = handle.read(MAX_BYTES + 1)
    except _Refused as exc:
        raise AnswersError(exc.problems, source) from None
    except FileNotFoundError:
        raise AnswersError(
            [
                _problem(
                    f"file not found: {path}",
                    "create one with `cdwizard answers template > answers.yml`",
                )
            ]
        ) from None
    except OSError as exc:
        problem = describe(exc, path, reading=True)
        raise AnswersError(
            [_problem(f"cannot read {problem.path}: {problem.reason}", problem.fix)]
        ) from None
    if len(data) > MAX_BYTES:  # it grew while we looked
        raise AnswersError([_too_big(len(data))], source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AnswersError(
            [
                _problem(
                    f"is not UTF-8 text (byte {exc.start} cannot be decoded)",
                    "save it as UTF-8 (answers files are plain text)",
                )
            ],
            source,
        ) from None


def _too_big(size: int) -> Problem:
    return _problem(
        f"is {size:,} bytes; an answers file is a few kilobytes (at most {MAX_BYTES:,})",
        "check that --answers names the right file (`cdwizard answers template` writes one)",
    )


def _too_deep(line: int | None) -> Problem:
    where = f" (more than {MAX_DEPTH} levels at line {line})" if line else ""
    return _problem(f"is nested too deeply{where}", "answers files are at most two sections deep")


def _loader(text: str) -> Any:
    """PyYAML's safe loader, refusing to compose deeper than `MAX_DEPTH` (its composer recurses
    once per level, and its scanner slows down with every open bracket)."""
    import yaml

    class DepthLimited(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            self.depth += 1
            try:
                if self.depth > MAX_DEPTH:
                    raise _Refused([_too_deep(self.peek_event().start_mark.line + 1)])
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return DepthLimited(text)


def parse(text: str, source: str | None = None) -> Any:
    """The YAML document in `text` as Python data, or `AnswersError` for bad syntax, an alias
    bomb, a self-containing alias or duplicate keys (every duplicate at once)."""
    import yaml

    loader = _loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _Measure().check(node)
        return loader.construct_document(node)
    except _Refused as exc:
        raise AnswersError(exc.problems, source) from None
    except RecursionError:
        raise AnswersError([_too_deep(None)], source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise AnswersError(
            [
                _problem(
                    f"is not valid YAML{where}: {reason}",
                    "fix the syntax (indent with spaces; quote values containing ': ' or '#')",
                )
            ],
            source,
        ) from None
    finally:
        loader.dispose()


class _Measure:
    """One walk over the node graph: expanded size, self-containing aliases, duplicate keys."""

    def __init__(self) -> None:
        self._sizes: dict[int, int] = {}
        self._open: set[int] = set()
        self._duplicates: list[Problem] = []

    def check(self, root: Node) -> None:
        self._size(root, "")
        if self._duplicates:
            raise _Refused(self._duplicates)

    def _size(self, node: Node, path: str) -> int:
        from yaml.nodes import MappingNode, SequenceNode

        known = self._sizes.get(id(node))
        if known is not None:
            return known
        if id(node) in self._open:
            raise _Refused(
                [
                    _problem(
                        f"has an alias that contains itself (line {node.start_mark.line + 1})",
                        "remove the alias (*name) from inside its own anchor (&name)",
                        path,
                    )
                ]
            )
        self._open.add(id(node))
        total = 1
        if isinstance(node, SequenceNode):
            for index, child in enumerate(node.value):
                total += self._size(child, f"{path}[{index}]")
                self._limit(total)
        elif isinstance(node, MappingNode):
            self._find_duplicates(node, path)
            for key, value in node.value:
                name = str(key.value) if isinstance(key.value, str) else "?"
                total += self._size(key, path) + self._size(value, _join(path, name))
                self._limit(total)
        self._open.discard(id(node))
        self._sizes[id(node)] = total
        return total

    def _limit(self, total: int) -> None:
        if total > MAX_VALUES:
            raise _Refused(
                [
                    _problem(
                        f"expands to more than {MAX_VALUES:,} values through its YAML aliases "
                        "(*name)",
                        "write the values out instead of repeating aliases (an answers file "
                        "has about 40)",
                    )
                ]
            )

    def _find_duplicates(self, node: Node, path: str) -> None:
        from yaml.nodes import ScalarNode

        first: dict[tuple[str, str], Node] = {}
        for key, _value in node.value:
            if not isinstance(key, ScalarNode) or key.tag == _MERGE_TAG:
                continue
            seen = first.setdefault((key.tag, key.value), key)
            if seen is not key:
                self._duplicates.append(
                    _problem(
                        f"is given twice: at {_where(seen, key)} and at {_where(key, seen)}",
                        "keep one of them (YAML would silently use the last)",
                        _join(path, key.value),
                    )
                )


def _where(node: Node, other: Node) -> str:
    """`line 3`, or `line 3, column 8` when `other` is on the same line."""
    line = node.start_mark.line
    if line != other.start_mark.line:
        return f"line {line + 1}"
    return f"line {line + 1}, column {node.start_mark.column + 1}"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
