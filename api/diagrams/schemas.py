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


class SchemaMapArgs(ma.Schema):
    schema = ma.fields.String(
        validate=[ma.validate.Length(min=1, max=255), no_nul],
        metadata={"description": "One schema's clusters (MySQL: database)."},
    )
    cluster = ma.fields.Integer(
        validate=ma.validate.Range(min=0),
        metadata={"description": "One cluster's tables, drawn (its id from a view of clusters)."},
    )
    format = ma.fields.String(
        load_default="json",
        validate=ma.validate.OneOf(("json", "svg")),
        metadata={"description": "json (clusters and edges, with the SVG) or svg (the drawing alone)."},
    )

    @ma.validates_schema
    def one_of(self, data, **kwargs):
        if "schema" in data and "cluster" in data:
            raise ma.ValidationError("ask for a schema or a cluster, not both", "cluster")


class MapTableSchema(ma.Schema):
    schema = ma.fields.String()
    name = ma.fields.String()


class MostReferencedSchema(ma.Schema):
    name = ma.fields.String()
    referenced_by = ma.fields.Integer(metadata={"description": "Keys (declared or accepted inferred) pointing at it."})


class ClusterSchema(ma.Schema):
    id = ma.fields.Integer(allow_none=True, metadata={"description": "Open it with `cluster`; null for a schema box."})
    schema = ma.fields.String()
    name = ma.fields.String()
    table_count = ma.fields.Integer()
    tables = ma.fields.List(ma.fields.Nested(MapTableSchema), metadata={"description": "Empty for a schema box."})
    most_referenced = ma.fields.List(ma.fields.Nested(MostReferencedSchema))


class ClusterEdgeSchema(ma.Schema):
    source = ma.fields.Integer(allow_none=True, metadata={"description": "Cluster id; null between schema boxes."})
    target = ma.fields.Integer(allow_none=True)
    source_schema = ma.fields.String()
    target_schema = ma.fields.String()
    keys = ma.fields.Integer(metadata={"description": "Declared foreign keys between the two."})
    inferred = ma.fields.Integer(metadata={"description": "Accepted inferred keys between the two."})
    reads = ma.fields.Integer(metadata={"description": "Views of one reading tables of the other."})


class SchemaMapSchema(ma.Schema):
    level = ma.fields.String(
        metadata={"description": "schemas (one box per schema), clusters (boxes of tables) or tables (one cluster)."}
    )
    schema = ma.fields.String(allow_none=True)
    cluster = ma.fields.Integer(allow_none=True)
    table_count = ma.fields.Integer(metadata={"description": "Tables and views of the source (partitions left out)."})
    cluster_count = ma.fields.Integer()
    clusters = ma.fields.List(ma.fields.Nested(ClusterSchema))
    edges = ma.fields.List(ma.fields.Nested(ClusterEdgeSchema))
    cached = ma.fields.Boolean(metadata={"description": "Served from the map computed after the last crawl."})
    svg = ma.fields.String(metadata={"description": "The drawing (Graphviz SVG; boxes link to the web UI)."})
