"""The records of a database's objects that are neither tables nor code:
extensions, domains, collations, text-search configurations and the
schemas themselves (for their comments). Plain dataclasses like
engines/records.py; each names its `kind`, the word the catalog stores it
under (catalog_objects.kind). Listed once per crawl, at plan time, by
`Introspector.list_schema_objects` (an engine without them lists none)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


@dataclass
class Extension:
    """An installed extension (PostgreSQL pg_extension): a database's, not a
    schema's; `schema` is where it put its objects."""

    kind: ClassVar[str] = "extension"
    schema: str
    name: str
    version: str
    comment: str | None = None


@dataclass
class Domain:
    """A domain type: its base type as format_type prints it, default, NOT
    NULL and CHECK constraints ({"name", "definition"}, by name)."""

    kind: ClassVar[str] = "domain"
    schema: str
    name: str
    base_type: str
    default: str | None = None
    not_null: bool = False
    checks: list[dict] = field(default_factory=list)
    collation: str | None = None  # only when not the base type's default
    comment: str | None = None


@dataclass
class Collation:
    """A user-defined collation (CREATE COLLATION)."""

    kind: ClassVar[str] = "collation"
    schema: str
    name: str
    provider: str  # libc, icu, builtin
    locale: str | None = None  # ICU locale, or LC_COLLATE when LC_CTYPE is the same
    lc_collate: str | None = None
    lc_ctype: str | None = None
    deterministic: bool = True
    comment: str | None = None


@dataclass
class TextSearchConfiguration:
    """A text-search configuration (CREATE TEXT SEARCH CONFIGURATION): its
    parser, schema-qualified."""

    kind: ClassVar[str] = "text_search_configuration"
    schema: str
    name: str
    parser: str
    comment: str | None = None


@dataclass
class SchemaInfo:
    """A schema the source includes, for its comment (a schema with no
    tables is listed too)."""

    kind: ClassVar[str] = "schema"
    schema: str
    name: str  # the schema's name again: the catalog keys every object by (schema, name)
    comment: str | None = None


SchemaObject = Extension | Domain | Collation | TextSearchConfiguration | SchemaInfo
KINDS = tuple(c.kind for c in (Extension, Domain, Collation, TextSearchConfiguration, SchemaInfo))
