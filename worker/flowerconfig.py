# Flower reads this file (celery flower --conf=worker/flowerconfig.py): basic
# auth comes from metacrawl's settings, so no password sits on a command line.
from catalog.settings import from_env

_s = from_env()
basic_auth = [f"{_s.flower_user}:{_s.flower_password}"]
