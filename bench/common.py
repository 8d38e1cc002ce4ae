"""What every bench module uses: the project's root, the log line, random name parts."""

from __future__ import annotations

import secrets
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def log(msg: str) -> None:
    print(f"[bench {datetime.now().strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def rand(n: int = 8) -> str:
    return secrets.token_hex(n // 2)
