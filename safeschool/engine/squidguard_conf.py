"""Read a squidGuard.conf (``dbhome``, ``time``, ``rew``, ``src``, ``dest``, ``acl``) into a Policy.

A school moving from squidGuard points SafeSchool at its existing configuration and lists. The
decisions follow squidGuard 1.6's documented and observed behaviour; where squidGuard has a
bug, SafeSchool does the correct thing (see docs/filter-engine.md, "Differences from
squidGuard"). Anything squidGuard would accept but SafeSchool cannot honour (LDAP, MySQL, client
domain names) is refused with a clear error rather than silently ignored.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .builder import IndexBuilder
from .errors import ConfigError, ListError
from .lists import read_list, read_text
from .model import (
    ALL,
    IN_ADDR,
    LABEL,
    NONE,
    Group,
    Item,
    Rewrite,
    RuleSet,
    TimeCondition,
    Variant,
    bind_variants,
    parse_networks,
)
from .policy import SQUIDGUARD, Policy, PolicyInfo
from .timespec import TimeSpec, parse_squidguard_rule

DEFAULT_DBHOME = "/var/lib/squidguard/db"
_TOKEN = re.compile(r"[{}]|[^\s{}]+")
_IGNORED = frozenset({"log", "logfile", "verbose", "anonymous", "logdir"})
_LIST_KINDS = {"domainlist": "domains", "urllist": "urls", "expressionlist": "expressions"}
_STATUS_FLAGS = {"r": 302, "R": 301}


@dataclass
class _Statement:
    words: list[str]
    line: int
    block: list[_Statement] | None = None
    alternative: list[_Statement] | None = None


@dataclass
class _Dest:
    name: str
    lists: list[tuple[str, str, int]] = field(default_factory=list)
    redirect: str | None = None
    when: TimeCondition | None = None


class _Parser:
    """Turns the configuration text into nested statements, then into a Policy."""

    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.tokens = list(_tokens(text))
        self.pos = 0

    def error(self, message: str, line: int) -> ConfigError:
        return ConfigError(message, self.path, line)

    def statements(self, nested: bool) -> list[_Statement]:
        """Statements up to the end of the file, or up to the closing brace of a block."""
        out: list[_Statement] = []
        words: list[str] = []
        line = 0
        while self.pos < len(self.tokens):
            piece, piece_line = self.tokens[self.pos]
            self.pos += 1
            if piece == "\n":
                if words:
                    out.append(_Statement(words, line))
                words = []
            elif piece == "{":
                out.append(self._block(words, line or piece_line))
                words = []
            elif piece == "}":
                if not nested:
                    raise self.error("unexpected '}'", piece_line)
                if words:
                    out.append(_Statement(words, line))
                return out
            else:
                line = piece_line if not words else line
                words.append(piece)
        if nested:
            raise self.error("missing '}' at end of file", self.tokens[-1][1] if self.tokens else 0)
        return out

    def _block(self, words: list[str], line: int) -> _Statement:
        statement = _Statement(words, line, self.statements(nested=True))
        save = self.pos
        while self.pos < len(self.tokens) and self.tokens[self.pos][0] == "\n":
            self.pos += 1
        if self.pos + 1 < len(self.tokens) and self.tokens[self.pos][0] == "else":
            if self.tokens[self.pos + 1][0] != "{":
                raise self.error("'else' must be followed by '{'", self.tokens[self.pos][1])
            self.pos += 2
            statement.alternative = self.statements(nested=True)
        else:
            self.pos = save
        return statement


def _tokens(text: str) -> Iterator[tuple[str, int]]:
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0] if not raw.lstrip().startswith(("redirect", "s@")) else raw
        if raw.lstrip().startswith("#"):
            line = ""
        for token in _TOKEN.findall(line):
            yield token, number
        yield "\n", number


class _Config:
    """The meaning of the statements: times, rewrites, sources, destinations and acls."""

    def __init__(self, parser: _Parser, conf_dir: Path) -> None:
        self.parser = parser
        self.conf_dir = conf_dir
        self.dbhome = Path(DEFAULT_DBHOME)
        self.times: dict[str, TimeSpec] = {}
        self.rewrites: dict[str, tuple[Rewrite, ...]] = {}
        self.groups: dict[str, Group] = {}
        self.dests: dict[str, _Dest] = {}
        self.acls: dict[str, list[Variant]] = {}
        self.acl_redirects: dict[str, str | None] = {}

    def error(self, message: str, line: int) -> ConfigError:
        return self.parser.error(message, line)

    def read(self, statements: list[_Statement]) -> None:
        handlers = {
            "dbhome": self._dbhome,
            "time": self._time,
            "rew": self._rew,
            "src": self._src,
            "source": self._src,
            "dest": self._dest,
            "destination": self._dest,
            "acl": self._acl,
        }
        for st in statements:
            keyword = st.words[0] if st.words else ""
            if keyword in _IGNORED and st.block is None:
                continue
            if keyword not in handlers:
                raise self.error(f"unknown or unsupported keyword {keyword!r}", st.line)
            handlers[keyword](st)

    def _name(self, st: _Statement, needs_block: bool = True) -> str:
        if len(st.words) < 2 or (needs_block and st.block is None):
            raise self.error(f"'{st.words[0]}' needs a name and a {{ block }}", st.line)
        return st.words[1]

    def _dbhome(self, st: _Statement) -> None:
        if len(st.words) != 2:
            raise self.error("'dbhome' needs one folder", st.line)
        self.dbhome = self.conf_dir / st.words[1]

    def _time(self, st: _Statement) -> None:
        name = self._name(st)
        rules = []
        for inner in st.block or []:
            try:
                rules.append(parse_squidguard_rule(" ".join(inner.words)))
            except ValueError as exc:
                raise self.error(str(exc), inner.line) from None
        self.times[name] = TimeSpec(name, tuple(rules))

    def _condition(self, words: list[str], line: int) -> TimeCondition | None:
        """A trailing ``within NAME`` or ``outside NAME``."""
        if not words:
            return None
        if len(words) != 2 or words[0] not in ("within", "outside"):
            raise self.error(
                f"expected 'within NAME' or 'outside NAME', got {' '.join(words)!r}", line
            )
        if words[1] not in self.times:
            raise self.error(f"time {words[1]!r} is not defined (define it before use)", line)
        return TimeCondition(self.times[words[1]], outside=words[0] == "outside")

    def _rew(self, st: _Statement) -> None:
        name = self._name(st)
        rules = []
        for inner in st.block or []:
            text = " ".join(inner.words)
            if inner.words[0] in _IGNORED:
                continue
            rules.append(self._rewrite_rule(text, inner.line))
        self.rewrites[name] = tuple(rules)

    def _rewrite_rule(self, text: str, line: int) -> Rewrite:
        if len(text) < 4 or text[0] != "s":
            raise self.error(f"rewrite rules look like s@from@to@flags, got {text!r}", line)
        parts = text[2:].split(text[1])
        if len(parts) != 3:
            raise self.error(f"rewrite rules look like s@from@to@flags, got {text!r}", line)
        pattern, replacement, flags = parts
        try:
            compiled = re.compile(pattern, re.IGNORECASE if "i" in flags else 0)
        except re.error as exc:
            raise self.error(f"bad regular expression in rewrite ({exc})", line) from None
        replacement = replacement.replace("\\&", "&")
        status = next((_STATUS_FLAGS[f] for f in flags if f in _STATUS_FLAGS), None)
        return Rewrite(compiled, replacement, status)

    def _src(self, st: _Statement) -> None:
        name = self._name(st)
        group = Group(name, when=self._condition(st.words[2:], st.line))
        networks, users = [], set()
        for inner in st.block or []:
            key, values = inner.words[0], inner.words[1:]
            try:
                if key == "ip":
                    networks += [n for v in values for n in parse_networks(v)]
                elif key == "iplist":
                    networks += [
                        n for v in self._file_words(values, inner.line) for n in parse_networks(v)
                    ]
                elif key == "user":
                    users.update(values)
                elif key == "userlist":
                    users.update(self._file_words(values, inner.line))
                elif key in ("within", "outside"):
                    group.when = self._condition(inner.words, inner.line)
                elif key not in _IGNORED:
                    raise self.error(f"'{key}' in a src block is not supported", inner.line)
            except ValueError as exc:
                raise self.error(str(exc), inner.line) from None
        group.networks, group.users = tuple(networks), frozenset(users)
        self.groups[name] = group

    def _file_words(self, values: list[str], line: int) -> list[str]:
        if len(values) != 1:
            raise self.error("expected one file name", line)
        try:
            text = read_text(self.dbhome / values[0])
        except ListError as exc:
            raise self.error(str(exc), line) from None
        return [w for raw in text.splitlines() for w in raw.split("#")[0].split()[:1]]

    def _dest(self, st: _Statement) -> None:
        dest = _Dest(self._name(st), when=self._condition(st.words[2:], st.line))
        for inner in st.block or []:
            key, values = inner.words[0], inner.words[1:]
            if key in _LIST_KINDS and len(values) == 1:
                dest.lists.append((_LIST_KINDS[key], values[0], inner.line))
            elif key == "redirect" and len(values) == 1:
                dest.redirect = values[0]
            elif key in ("within", "outside"):
                dest.when = self._condition(inner.words, inner.line)
            elif key not in _IGNORED:
                raise self.error(
                    f"'{' '.join(inner.words)}' in a dest block is not supported", inner.line
                )
        self.dests[dest.name] = dest

    def _acl(self, st: _Statement) -> None:
        if st.block is None:
            raise self.error("'acl' needs a { block }", st.line)
        for entry in st.block:
            if entry.block is None:
                raise self.error(
                    f"acl entry {' '.join(entry.words)!r} needs a {{ block }}", entry.line
                )
            name = entry.words[0]
            if name != "default" and name not in self.groups:
                raise self.error(f"acl for undefined src {name!r}", entry.line)
            when = self._condition(entry.words[1:], entry.line)
            variants = [Variant(self._ruleset(entry.block, entry.line), when)]
            if entry.alternative is not None:
                variants.append(Variant(self._ruleset(entry.alternative, entry.line)))
            self.acls[name] = variants

    def _ruleset(self, statements: list[_Statement], line: int) -> RuleSet:
        items: list[Item] = []
        redirect = None
        rewrites: tuple[Rewrite, ...] = ()
        for st in statements:
            key, values = st.words[0], st.words[1:]
            if key == "pass":
                items += [self._item(word, st.line) for word in values]
            elif key == "redirect" and len(values) == 1:
                redirect = values[0]
            elif key == "rewrite" and len(values) == 1:
                if values[0] not in self.rewrites:
                    raise self.error(f"rew {values[0]!r} is not defined", st.line)
                rewrites = self.rewrites[values[0]]
            elif key not in _IGNORED:
                raise self.error(f"'{' '.join(st.words)}' in an acl is not supported", st.line)
        return RuleSet(tuple(items), default_allow=True, redirect=redirect, rewrites=rewrites)

    def _item(self, word: str, line: int) -> Item:
        allow = not word.startswith("!")
        name = word.lstrip("!")
        if name in ("all", "any"):
            return Item(ALL, True, "all", "default")
        if name == "none":
            return Item(NONE, False, "none", "default")
        if name == "in-addr":
            return Item(IN_ADDR, allow, "in-addr", "ip-address")
        if name not in self.dests:
            raise self.error(f"dest {name!r} is not defined", line)
        dest = self.dests[name]
        return Item(
            LABEL,
            allow,
            name,
            "category",
            when=dest.when,
            redirect=dest.redirect,
            label=f"cat:{name}",
        )


def load_squidguard_conf(path: str | os.PathLike[str]) -> Policy:
    """Load a squidGuard.conf and the lists it names into a Policy.

    Raises:
        ConfigError: the configuration cannot be understood (with file and line).
        ListError: a list file it names cannot be read at all.
    """
    text = read_text(path)
    parser = _Parser(text, str(path))
    config = _Config(parser, Path(path).resolve().parent)
    config.read(parser.statements(nested=False))
    if "default" not in config.acls:
        raise ConfigError("the acl block has no 'default' entry", str(path))
    return _build(config, str(path))


def _build(config: _Config, source: str) -> Policy:
    builder = IndexBuilder()
    for dest in config.dests.values():
        label = f"cat:{dest.name}"
        builder.label(label)
        for kind, file_name, _line in dest.lists:
            builder.add(label, read_list(config.dbhome / file_name, kind))
    indexes = builder.build()
    fallback = Group("default", variants=bind_variants(config.acls["default"], indexes))
    groups = []
    for group in config.groups.values():
        group.variants = bind_variants(config.acls.get(group.name, config.acls["default"]), indexes)
        groups.append(group)
    stats = {
        name.removeprefix("cat:"): s
        for name, s in indexes.stats.items()
        if name.startswith("cat:") and "!" not in name
    }
    info = PolicyInfo(source, "squidguard", None, stats, indexes.problems)
    default_redirect = config.acls["default"][0].rules.redirect
    return Policy(
        indexes, groups, fallback, identity=SQUIDGUARD, info=info, default_redirect=default_redirect
    )
