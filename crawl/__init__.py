"""The crawl's steps, free of Celery: open a source's target (its secrets
decrypted here), plan, describe and stage a batch, finish. They stand on
`engines` (the targets) and `catalog` (where what they read goes); the
worker's Celery tasks call them, and so do the benchmark's profiler and the
API's connection test (`source.probe_source`)."""
