"""identifier_needs_quoting: a table name, or a table's column names, that
must be quoted in SQL on the source's engine: mixed case, characters beyond
letters, digits and underscores, or a reserved word (PostgreSQL's own test
is quote_ident(); MySQL/MariaDB and other engines use the word lists
below). Two statements: one finding per table name, one per table listing
its columns. No fix: renaming breaks every query that names them."""

from __future__ import annotations

from .common import MYSQL_ENGINES, OBJ, SCOPED, Dialect, Rule, listed

RULE = Rule(
    "identifier_needs_quoting", "info", "a table or column name that must be quoted (case, spaces, reserved words)"
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Reserved words MySQL/MariaDB refuse unquoted as identifiers (the ones a
# schema meets; the full list is longer), and the SQL standard's most common
# ones for other engines. PostgreSQL's own list is quote_ident()'s.
MYSQL_RESERVED = _words(
    "add all alter analyze and as asc before between bigint binary blob both by call cascade case change char "
    "character check collate column condition constraint continue convert create cross current_date current_time "
    "current_timestamp current_user cursor database databases dec decimal declare default delete desc describe "
    "distinct div double drop dual each else elseif enclosed escaped exists exit explain false fetch float for "
    "force foreign from fulltext grant group having if ignore in index infile inner insert int integer interval "
    "into is join key keys kill leading leave left like limit lines load lock long loop match merge mod natural "
    "not null numeric on option or order out outer partition precision primary procedure range read real "
    "references regexp release rename repeat replace require restrict return revoke right rlike row rows schema "
    "schemas select separator set show smallint spatial sql ssl starting table terminated then to trailing "
    "trigger true undo union unique unlock unsigned update usage use using values varchar when where while with "
    "write xor"
)
SQL_RESERVED = _words(
    "all and any as asc between by case check column constraint create cross default delete desc distinct drop "
    "else end except exists false foreign from full group having in index inner insert intersect into is join "
    "key left like limit not null offset on or order outer primary references right select set table then to "
    "true union unique update user using values when where with"
)


def needs_quoting(engine: str, e: str) -> str:
    """A SQL condition: the identifier expression `e` must be quoted on `engine`."""
    if engine == "postgresql":
        return f"quote_ident({e}) <> {e}"
    words = MYSQL_RESERVED if engine in MYSQL_ENGINES else SQL_RESERVED
    listed_words = ", ".join(f"'{w}'" for w in sorted(words))
    first = "A-Za-z0-9_$" if engine in MYSQL_ENGINES else "A-Za-z_"
    return f"({e} !~ '^[{first}][A-Za-z0-9_$]*$' OR {e} ~ '^[0-9]+$' OR lower({e}) IN ({listed_words}))"


def statements(d: Dialect) -> list[str]:
    return [
        RULE.head() + f"t.schema_name, t.name, NULL, {OBJ}, "
        "'the name ' || t.name || ' must be quoted in SQL (case, characters or a reserved word)', NULL "
        f"FROM {SCOPED} WHERE {needs_quoting(d.engine, 't.name')}",
        RULE.head() + f"t.schema_name, t.name, '(columns)', {OBJ} || '.(columns)', "
        "'column names that must be quoted in SQL: ' || "
        + listed("c.name", "c.ordinal")
        + f", NULL FROM {SCOPED} JOIN catalog_columns c ON c.table_id = t.id "
        f"WHERE {needs_quoting(d.engine, 'c.name')} GROUP BY t.id, t.schema_name, t.name",
    ]
