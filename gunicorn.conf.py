# gunicorn reads this file from the working directory: JSON logs for the web process.
from api.gunicorn_errors import install
from catalog.logs import configure
from catalog.settings import from_env

# Request lines up to gunicorn's maximum reach the app, which answers those over
# api.MAX_URI_LENGTH with a JSON 414; longer ones get gunicorn's own 414, made
# JSON by api.gunicorn_errors, like its 400 for a malformed request.
limit_request_line = 8190
install()


def on_starting(server):
    configure("INFO", from_env().log_json)
