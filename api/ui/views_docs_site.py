"""The source page's download of its published docs site: the same static
site `metacrawl docs` writes (api/ui/docs_site.py), as one zip file."""

from __future__ import annotations

import tempfile

from flask import abort, send_file

from catalog import overview
from catalog.db import Session

from ..ownership import owned_source
from . import blp, docs_site
from .docs_site import slug, write_zip
from .session import page


@blp.get("/sources/<int:source_id>/docs-site.zip")
@page
def docs_site_zip(source_id: int):
    """The zip is written to a temporary file (never held in memory) and sent from there."""
    source = owned_source(source_id)
    tables = sum(overview.counts_by_kind(Session(), source.id).values())
    limit = docs_site.ZIP_MAX_TABLES
    if tables > limit:
        # cut off by gunicorn's request timeout, the download would end as a broken file
        abort(
            409,
            description=f"{source.name} has {tables:,} tables and views: more than the {limit:,} whose "
            f"site is written while you wait. The server's operator writes it with "
            f"`metacrawl docs {source.id} -o site/`.",
        )
    spool = tempfile.TemporaryFile()  # noqa: SIM115 send_file closes it after the answer
    write_zip(source, spool)
    spool.seek(0)
    return send_file(
        spool,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{slug(source.name) or 'source'}-docs.zip",
        max_age=0,
    )
