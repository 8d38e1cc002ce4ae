"""What a new password must be: long enough, not one character repeated, not
one of the passwords people pick most often (catalog/common_passwords.txt),
with or without digits and punctuation added, and not the account's email."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

MIN_LENGTH = 10
MIN_DISTINCT = 5

_AFFIX = re.compile(r"^[\W\d_]+|[\W\d_]+$")


class WeakPassword(ValueError):
    pass


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = files("catalog").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def check_password(password: str, email: str | None = None) -> None:
    """Raise WeakPassword with a reason a user can act on."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"must be at least {MIN_LENGTH} characters long; a few unrelated words make a good one")
    if len(set(password)) < MIN_DISTINCT:
        raise WeakPassword(f"must have at least {MIN_DISTINCT} different characters")
    lower = password.lower()
    common = common_passwords()
    stem = _AFFIX.sub("", lower)
    if not stem:
        raise WeakPassword("must not be only digits and punctuation")
    if lower in common or stem in common or lower.replace(" ", "") in common:
        raise WeakPassword("is one of the most common passwords (or one with digits added); choose another")
    if email:
        local = email.split("@", 1)[0].lower()
        if len(local) >= 4 and (local in lower and len(lower) - len(local) < MIN_LENGTH // 2):
            raise WeakPassword("is too close to the email address")
