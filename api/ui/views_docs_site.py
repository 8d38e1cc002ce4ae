"""The source page's download of its published docs site: the same static
site `metacrawl docs` writes (api/ui/docs_site.py), as one zip file."""

from __future__ import annotations

import tempfile

from flask import send_file

from ..ownership import owned_source
from . import blp
from .docs_site import slug, write_zip
from .session import page


@blp.get("/sources/<int:source_id>/docs-site.zip")
@page
def docs_site_zip(source_id: int):
    """The zip is written to a temporary file (never held in memory) and sent from there."""
    source = owned_source(source_id)
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
