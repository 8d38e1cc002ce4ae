"""Usage: how much each table and index is used between crawls, and the
statements that touch a table. `apply` holds the apply's statements (the
counters' growth between crawls, reset-aware; each index's scans and since
when it has had none; a crawl's top statements), `read` the fragment the
table detail serves."""
