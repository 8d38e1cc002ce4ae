# gunicorn reads this file from the working directory: JSON logs for the web process.
from catalog.logs import configure
from catalog.settings import from_env


def on_starting(server):
    configure("INFO", from_env().log_json)
