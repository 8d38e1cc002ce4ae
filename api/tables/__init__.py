"""Tables by catalog id."""


def table_id_url(table_id: int) -> str:
    """A table's one address, whatever its names hold (the API's /tables/{table_id})."""
    return f"/api/v1/tables/{table_id}"


def table_history_url(table_id: int) -> str:
    """A table's change history by id, also once it has been removed."""
    return f"{table_id_url(table_id)}/history"
