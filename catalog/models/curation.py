"""Curation: what a team writes down about a source, a schema, a table (or
view) or a column: a Markdown description, tags and owners, with an audit
list of every change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, trgm_index, ts

CURATED_KINDS = ("source", "schema", "table", "column")


class Curation(Base):
    """One curated object. A table's and a column's curation is keyed by the
    catalog_tables row's id (table_id), which a recrawl, a drop and re-create
    of the same name and a rename keep (catalog/apply.py, catalog/renames.py),
    so it stays with its object; while the object is gone it is orphaned
    (the row removed, the column absent), and it shows again when it returns.
    Fields that do not apply hold '' or 0, so the key has no nulls: a source
    (kind source), a schema (schema_name), a table (table_id), a column
    (table_id, column_name). Rows are never deleted (their audit stays):
    clearing a field sets it empty."""

    __tablename__ = "catalog_curation"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    schema_name: Mapped[str] = mapped_column(Text, server_default=text("''"))
    table_id: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    column_name: Mapped[str] = mapped_column(Text, server_default=text("''"))
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    owner_user_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), server_default=text("'{}'"))
    owner_team_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), server_default=text("'{}'"))
    updated_at: Mapped[datetime] = ts()
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (
        CheckConstraint("kind IN ('source', 'schema', 'table', 'column')", name="kind"),
        # one row per object; a table page reads its columns' rows as one
        # range of it (source_id, kind 'column', table_id)
        UniqueConstraint("source_id", "kind", "table_id", "schema_name", "column_name", name="uq_catalog_curation_key"),
        # tag:pii and owner:alice across every source a user reaches
        Index("ix_catalog_curation_tags", "tags", postgresql_using="gin"),
        Index("ix_catalog_curation_owner_user_ids", "owner_user_ids", postgresql_using="gin"),
        Index("ix_catalog_curation_owner_team_ids", "owner_team_ids", postgresql_using="gin"),
    )


class CurationAudit(Base):
    """One change of one field of a curated object: who, when, before and after."""

    __tablename__ = "catalog_curation_audit"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    curation_id: Mapped[int] = mapped_column(ForeignKey("catalog_curation.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = ts()
    field: Mapped[str] = mapped_column(String(20))
    before: Mapped[dict | list | str | None] = mapped_column(JSONB)
    after: Mapped[dict | list | str | None] = mapped_column(JSONB)

    __table_args__ = (Index("ix_catalog_curation_audit_curation_id_id", "curation_id", text("id DESC")),)


# Expression indexes, declared once the columns they use exist.
trgm_index("ix_catalog_curation_description_trgm", Curation.description, where="description IS NOT NULL")
