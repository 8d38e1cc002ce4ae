"""The rules that suggest a column is sensitive, written once and evaluated
two ways from the same list: `score` in Python (a batch withholding the
value lists of columns it describes for the first time) and `SCORE_SQL` in
PostgreSQL (the finish re-evaluating every column of a source, set-based).
The patterns use only what Python's re and PostgreSQL's regular expressions
read alike; tests/test_sensitive.py checks both give the same answers.

A name is normalised first (camelCase split, lower case, non-alphanumerics
as `_`), then:
- name rules, by category: the strongest match counts; a category of text
  (an e-mail, a person's name...) on a numeric, boolean or time type counts
  TYPE_PENALTY less, and a name ending like a count, flag, id or time
  (`email_count`, `email_verified_at`) SUFFIX_PENALTY less;
- the comment: words of personal data add COMMENT_WEIGHT;
- statistics: values that looked like personal data when they were read
  (only when the source allows reading them) add PATTERN_WEIGHT; a text
  column whose name matched and whose values are nearly all distinct,
  DISTINCT_WEIGHT.
A column scoring THRESHOLD or more is suggested, with every reason."""

from __future__ import annotations

import re

THRESHOLD = 50
TYPE_PENALTY = 40
SUFFIX_PENALTY = 40
COMMENT_WEIGHT = 30
PATTERN_WEIGHT = 60
DISTINCT_WEIGHT = 10

# (category, pattern over the normalised name, weight, text only)
NAME_RULES = (
    ("email", r"(^|_)(e_?mail|mail)(_?addr(ess)?)?(_|$)", 70, True),
    ("phone", r"(^|_)(phone|mobile|cell_?phone|fax|tele?phone|tel)(_?(no|num|number))?(_|$)", 60, False),
    (
        "person_name",
        r"(^|_)((first|last|middle|given|family|full|maiden|nick|sur|fore)_?name|surname|forename|"
        r"(contact|customer|person|employee|patient|client|member)_?name)(_|$)",
        60,
        True,
    ),
    ("username", r"(^|_)(user_?name|login(_?(name|id))?)(_|$)", 50, True),
    (
        "address",
        r"(^|_)(street(_?address)?|address(_?line)?_?[0-9]?|addr_?[0-9]?|postal_?code|post_?code|zip(_?code)?)(_|$)",
        55,
        True,
    ),
    ("birth_date", r"(^|_)(birth_?date|date_?of_?birth|dob|birth_?day)(_|$)", 70, False),
    (
        "national_id",
        r"(^|_)(ssn|social_?security(_?(no|num|number))?|national_?id(_?(no|number))?|passport(_?(no|num|number))?|"
        r"tax_?id|driver_?licen[cs]e(_?(no|num|number))?|nino)(_|$)",
        80,
        False,
    ),
    (
        "financial",
        r"(^|_)(credit_?card(_?(no|num|number))?|card_?(no|num|number)|cc_?(no|num|number)|iban|"
        r"(bank_?)?account_?(no|num|number)|bank_?account|routing_?number|cvv|cvc|salary|wage|income)(_|$)",
        65,
        False,
    ),
    (
        "secret",
        r"(^|_)(password|passwd|pwd|pass_?hash|password_?(hash|digest|salt)|secret|api_?key|access_?token|"
        r"refresh_?token|auth_?token|private_?key|salt)(_|$)",
        80,
        True,
    ),
    ("network", r"(^|_)(ip|ip_?addr(ess)?|ipv4|ipv6|mac_?addr(ess)?|remote_?addr)(_|$)", 50, False),
    (
        "special_category",
        r"(^|_)(gender|sex|ethnicity|race|religion|nationality|marital_?status|diagnosis|medical|health)(_|$)",
        50,
        False,
    ),
    ("location", r"(^|_)(lat|latitude|lon|lng|longitude|geo_?location|coordinates)(_|$)", 50, False),
)

SUFFIX = r"_(id|ids|count|cnt|flag|type|status|enabled|verified|confirmed|format|template|length|len|policy|sent|at)$"
NON_TEXT_TYPE = (
    r"^(small|big|tiny|medium)?(int|integer|serial)|^(numeric|decimal|real|double|float|bool|bit|year|money)|"
    r"^(timestamp|date|time|interval)"
)
TEXT_TYPE = r"(char|text|string|clob)"
COMMENT = r"(personal|pii|gdpr|sensitive|confidential|e-?mail|phone|social security|password|birth)"
PATTERN_REASONS = {
    "email": "values look like e-mail addresses",
    "card_number": "values look like card numbers",
    "national_id": "values look like national id numbers",
    "phone": "values look like phone numbers",
    "ip_address": "values look like IP addresses",
}
DISTINCT_HEAVY = -0.9  # pg_stats' n_distinct: nearly every row's value is distinct


def normalise(name: str) -> str:
    """camelCase split, lower case, every run of other characters one `_`."""
    return re.sub(r"[^a-z0-9]+", "_", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower())


def score(
    name: str,
    type_: str | None,
    comment: str | None = None,
    n_distinct: float | None = None,
    pattern: str | None = None,
) -> tuple[int, list[str]]:
    """(score 0-100, reasons) of one column; `pattern` only where the source allows values."""
    n, t = normalise(name), (type_ or "").lower()
    text_only = max((w for _, p, w, only in NAME_RULES if only and re.search(p, n)), default=0)
    other = max((w for _, p, w, only in NAME_RULES if not only and re.search(p, n)), default=0)
    reasons = [f"name suggests {c.replace('_', ' ')}" for c, p, _, _ in NAME_RULES if re.search(p, n)]
    if text_only and re.search(NON_TEXT_TYPE, t):
        text_only -= TYPE_PENALTY
        reasons.append("type is not text")
    points = max(text_only, other)
    if points and re.search(SUFFIX, n):
        points -= SUFFIX_PENALTY
        reasons.append("name ends like a count, flag, id or time")
    if comment and re.search(COMMENT, comment.lower()):
        points += COMMENT_WEIGHT
        reasons.append("comment mentions personal data")
    if pattern in PATTERN_REASONS:
        points += PATTERN_WEIGHT
        reasons.append(PATTERN_REASONS[pattern])
    if points > 0 and n_distinct is not None and n_distinct <= DISTINCT_HEAVY and re.search(TEXT_TYPE, t):
        points += DISTINCT_WEIGHT
        reasons.append("nearly every value is distinct")
    return max(0, min(100, points)), reasons


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _greatest(only: bool, alias: str = "r") -> str:
    parts = [f"CASE WHEN {alias}.n ~ {_quoted(p)} THEN {w} ELSE 0 END" for _, p, w, o in NAME_RULES if o is only]
    return f"GREATEST({', '.join(parts)})"


def _reasons_sql() -> str:
    name_reasons = [
        f"CASE WHEN x.n ~ {_quoted(p)} THEN {_quoted('name suggests ' + c.replace('_', ' '))} END"
        for c, p, _, _ in NAME_RULES
    ]
    patterns = " ".join(f"WHEN {_quoted(k)} THEN {_quoted(v)}" for k, v in PATTERN_REASONS.items())
    return f"""array_remove(ARRAY[{", ".join(name_reasons)},
        CASE WHEN x.text_only > 0 AND x.t ~ {_quoted(NON_TEXT_TYPE)} THEN 'type is not text' END,
        CASE WHEN x.named > 0 AND x.n ~ {_quoted(SUFFIX)} THEN 'name ends like a count, flag, id or time' END,
        CASE WHEN x.c ~ {_quoted(COMMENT)} THEN 'comment mentions personal data' END,
        CASE x.pattern {patterns} END,
        CASE WHEN x.points0 > 0 AND x.n_distinct <= {DISTINCT_HEAVY} AND x.t ~ {_quoted(TEXT_TYPE)}
             THEN 'nearly every value is distinct' END], NULL)"""


def scored_sql(columns: str) -> str:
    """A SELECT of (table_id, column_name, score, reasons as text[]) over
    `columns`, a SELECT of (table_id, name, type, comment, n_distinct,
    pattern): `score` and its reasons in SQL, step by step as there."""
    named = f"""GREATEST({_greatest(True)} - CASE WHEN {_greatest(True)} > 0 AND lower(coalesce(r.type, ''))
                    ~ {_quoted(NON_TEXT_TYPE)} THEN {TYPE_PENALTY} ELSE 0 END, {_greatest(False)})"""
    return f"""
    SELECT x.table_id, x.name, LEAST(100, GREATEST(0, x.points)), {_reasons_sql()}
    FROM (
        SELECT y.*, y.named - CASE WHEN y.named > 0 AND y.n ~ {_quoted(SUFFIX)} THEN {SUFFIX_PENALTY} ELSE 0 END
               + CASE WHEN y.c ~ {_quoted(COMMENT)} THEN {COMMENT_WEIGHT} ELSE 0 END
               + CASE WHEN y.pattern IN ({", ".join(map(_quoted, PATTERN_REASONS))}) THEN {PATTERN_WEIGHT} ELSE 0 END
               AS points0
        FROM (
            SELECT r.table_id, r.name, r.n, lower(coalesce(r.type, '')) AS t, lower(coalesce(r.comment, '')) AS c,
                   r.n_distinct, r.pattern, {_greatest(True)} AS text_only, {named} AS named
            FROM (SELECT z.*, regexp_replace(lower(regexp_replace(z.name, '([a-z0-9])([A-Z])', '\\1_\\2', 'g')),
                                             '[^a-z0-9]+', '_', 'g') AS n
                  FROM ({columns}) AS z(table_id, name, type, comment, n_distinct, pattern)) r
        ) y
    ) w CROSS JOIN LATERAL (SELECT w.*, w.points0 + CASE WHEN w.points0 > 0 AND w.n_distinct <= {DISTINCT_HEAVY}
                                  AND w.t ~ {_quoted(TEXT_TYPE)} THEN {DISTINCT_WEIGHT} ELSE 0 END AS points) x"""


def _unanchored(pattern: str) -> str:
    return pattern.removeprefix("(^|_)").removesuffix("(_|$)")


# Whether a lower-cased name (other characters as `_`) can match any name
# rule: each rule's pattern without its word anchors, so it matches every
# name the rule matches (underscores inside the rules are all optional, and
# camelCase only adds underscores), and more. Only such names, and columns
# whose values had a personal-data shape, can reach THRESHOLD (a comment
# alone adds COMMENT_WEIGHT, less than it): the source's evaluation scores
# only those.
NAME_PREFILTER = "|".join(f"({_unanchored(p)})" for _, p, _, _ in NAME_RULES)
