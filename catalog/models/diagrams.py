"""Whole-schema diagrams computed once per crawl (catalog/diagram_cache.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, PrimaryKeyConstraint, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, ts


class CatalogDiagramCache(Base):
    """A part of a source's schema map (its clusters as JSON, a view of it as
    SVG), valid while `crawl_id` is the source's last successful crawl and
    `changed_at` its catalog_changed_at (a confirmed rename moves it)."""

    __tablename__ = "catalog_diagram_cache"
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    part: Mapped[str] = mapped_column(Text)
    crawl_id: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[datetime | None] = ts()
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = ts(server_default=func.now())

    __table_args__ = (PrimaryKeyConstraint("source_id", "part", name="pk_catalog_diagram_cache"),)
