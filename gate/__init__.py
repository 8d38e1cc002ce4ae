"""The schema gate for CI: `metacrawl snapshot` and `metacrawl diff`, the
user's own commands, which need no metacrawl server. A floor beside `api`
and `worker`, standing on `crawl`, `catalog` and `engines`; it imports
neither of them (their commands are registered to the `metacrawl` group
through the `metacrawl.commands` entry points, setup.cfg)."""
