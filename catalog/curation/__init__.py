"""Curation: what a team writes down about its sources, schemas, tables,
views and columns (a Markdown description, tags from the team's list,
owners who are members or teams), with an audit list of every change. The
API's routes and the web UI's pages call these; who may is
api/ownership.py's business (viewer reads, curator edits)."""

from .lists import history, orphaned, tagged
from .objects import DESCRIPTION_MAX, CurationError, NotFound, Present, Target, presence, require_present
from .read import (
    TABLE_CURATION_JSON,
    curation_row,
    curation_stamp,
    empty_view,
    object_curation,
    table_curation,
    tables_curation,
    view,
)
from .render import render_markdown
from .write import OWNERS_MAX, TAGS_MAX, curate, strip_tag

__all__ = [
    "DESCRIPTION_MAX",
    "OWNERS_MAX",
    "TABLE_CURATION_JSON",
    "TAGS_MAX",
    "CurationError",
    "NotFound",
    "Present",
    "Target",
    "curate",
    "curation_row",
    "curation_stamp",
    "empty_view",
    "history",
    "object_curation",
    "orphaned",
    "presence",
    "render_markdown",
    "require_present",
    "strip_tag",
    "table_curation",
    "tables_curation",
    "tagged",
    "view",
]
