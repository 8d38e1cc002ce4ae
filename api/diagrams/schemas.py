import marshmallow as ma

from ..catalog_reads.schemas import no_nul


def _name(**kw) -> ma.fields.String:
    """A required schema, table or column name (1-255 characters, no NUL)."""
    return ma.fields.String(required=True, validate=[ma.validate.Length(min=1, max=255), no_nul], **kw)


class DiagramArgs(ma.Schema):
    schema = _name(metadata={"description": "The table's schema (MySQL: database)."})
    table = _name()
    depth = ma.fields.Integer(
        load_default=1,
        validate=ma.validate.OneOf((1, 2)),
        metadata={"description": "1: tables linked to this one by a foreign key; 2: and theirs."},
    )
    format = ma.fields.String(
        load_default="svg",
        validate=ma.validate.OneOf(("svg", "mermaid", "dot")),
        metadata={"description": "svg (drawn by Graphviz), mermaid (erDiagram) or dot (Graphviz source)."},
    )


class TableRefSchema(ma.Schema):
    schema = _name()
    table = _name()


class ColumnRefSchema(TableRefSchema):
    column = _name()


class StarterQueryArgs(ma.Schema):
    schema = _name(metadata={"description": "The table the query starts from."})
    table = _name()
    join = ma.fields.List(
        ma.fields.Nested(TableRefSchema),
        load_default=list,
        validate=ma.validate.Length(max=20),
        metadata={"description": "Tables to join; each is reached along the shortest foreign-key path."},
    )
    columns = ma.fields.List(
        ma.fields.Nested(ColumnRefSchema),
        load_default=list,
        validate=ma.validate.Length(max=500),
        metadata={"description": "Columns to select; a table with none listed has all its columns selected."},
    )


class JoinSchema(ma.Schema):
    schema = ma.fields.String()
    table = ma.fields.String()
    alias = ma.fields.String()
    foreign_key = ma.fields.String()
    via_schema = ma.fields.String()
    via_table = ma.fields.String()


class StarterQuerySchema(ma.Schema):
    sql = ma.fields.String(metadata={"description": "The query, identifiers quoted for the source's engine."})
    engine = ma.fields.String()
    tables = ma.fields.List(ma.fields.Nested(TableRefSchema))
    joins = ma.fields.List(ma.fields.Nested(JoinSchema))
    unreachable = ma.fields.List(
        ma.fields.Nested(TableRefSchema),
        metadata={"description": "Asked-for tables not linked to the first by foreign keys within 4 steps."},
    )
