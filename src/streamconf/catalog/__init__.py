"""The read-only catalog: the records of every stream, instrument, team and wiki (`model`), the
static site rendered from them (`site`, with its Jinja2 `templates/`), and the DataHub metadata
file (`datahub`). It reads a validated Config and the history `log` reads; nothing in the
pipeline reads it."""
