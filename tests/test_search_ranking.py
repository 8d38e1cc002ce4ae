"""Search ranking on a named set of queries people type, over a schema shaped
like sakila's and MusicBrainz's (where `release` is both a table and a column
of a dozen tables)."""

from __future__ import annotations

import pytest

from .conftest import wait_for_crawl
from .crawl_helpers import pg_source
from .targets import pg_database, pg_execute

RANKING_TARGET = """
CREATE TABLE actor (actor_id int PRIMARY KEY, first_name text, last_name text);
CREATE TABLE film (film_id int PRIMARY KEY, title text, release_year int);
CREATE TABLE film_actor (actor_id int REFERENCES actor, film_id int REFERENCES film, PRIMARY KEY (actor_id, film_id));
CREATE TABLE film_category (film_id int REFERENCES film, category_id int);
CREATE TABLE customer (customer_id int PRIMARY KEY, email text);
CREATE TABLE release (id int PRIMARY KEY, name text);
CREATE TABLE release_label (release int REFERENCES release, label int);
CREATE TABLE release_country (release int REFERENCES release, country int);
CREATE TABLE medium (id int PRIMARY KEY, release int REFERENCES release);
CREATE TABLE alternative_release (release int REFERENCES release, name text);
CREATE TABLE cover_art (release int REFERENCES release, ordering int);
CREATE FUNCTION actor() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION film_actor() RETURNS int LANGUAGE sql AS 'SELECT 2';
"""

# (query, what must come first: (kind, table, column))
QUERIES = [
    ("release", ("table", "release", None)),
    ("flim_actor", ("table", "film_actor", None)),
    ("custmer", ("table", "customer", None)),
    ("film", ("table", "film", None)),
    ("actor", ("table", "actor", None)),
    ("releese", ("table", "release", None)),
    # columns of one name: the table more keys point at first (release: 5, medium and alternative_release: 0)
    ("id", ("column", "release", "id")),
    ("name", ("column", "release", "name")),
    ("film_id", ("column", "film", "film_id")),
]


@pytest.fixture(scope="module")
def ranking_target():
    with pg_database() as name:
        pg_execute(name, RANKING_TARGET)
        yield name


@pytest.fixture
def crawled(alice, worker, ranking_target):
    source = pg_source(alice, ranking_target, name="music and films")
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    return source


def _search(user, q):
    r = user.get("/api/v1/search", query_string={"q": q})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["results"]


@pytest.mark.parametrize("q,first", QUERIES, ids=[q for q, _ in QUERIES])
def test_named_queries_rank_what_people_mean_first(alice, crawled, q, first):
    hits = _search(alice, q)
    assert (hits[0]["kind"], hits[0]["table"], hits[0]["column"]) == first, hits[:5]


def test_exact_table_outranks_columns_of_the_same_name(alice, crawled):
    hits = _search(alice, "release")
    exact = [(h["kind"], h["table"]) for h in hits if h["match"] == "exact"]
    assert exact[0] == ("table", "release")
    assert {t for k, t in exact[1:]} == {
        "release_label",
        "release_country",
        "medium",
        "alternative_release",
        "cover_art",
    }
    assert all(k == "column" for k, _ in exact[1:])
    assert hits[0]["score"] > hits[1]["score"]


def test_columns_of_one_name_rank_by_the_keys_pointing_at_their_table(alice, crawled):
    """release (5 keys point at it) before medium and alternative_release (none), then by name."""
    hits = _search(alice, "id")
    assert [(h["table"], h["column"]) for h in hits if h["match"] == "exact"] == [("release", "id"), ("medium", "id")]
    hits = _search(alice, "film_id")
    exact = [h["table"] for h in hits if h["match"] == "exact"]
    assert exact == ["film", "film_actor", "film_category"]  # film: 2 keys; the others none, by name
    hits = _search(alice, "release")
    columns = [h["table"] for h in hits if h["match"] == "exact" and h["kind"] == "column"]
    assert columns == sorted(columns)  # tables no key points at keep their order by name


def test_near_misses_rank_by_similarity_of_the_whole_name(alice, crawled):
    near = [h["table"] for h in _search(alice, "flim_actor") if h["kind"] == "table" and h["match"] == "near"]
    assert near[0] == "film_actor"


def test_routine_near_misses_come_in_the_order_of_their_score(alice, crawled):
    # pg_trgm ranks `actor` above `film_actor` for "flim_actor" (all of its
    # trigrams are shared); the score is the whole-name similarity, which
    # ranks film_actor first: the order must follow the score answered
    r = alice.get("/api/v1/search", query_string={"q": "flim_actor", "kind": "routine"})
    assert r.status_code == 200, r.get_json()
    near = [(h["name"], h["score"]) for h in r.get_json()["results"] if h["match"] == "near"]
    assert [name for name, _ in near] == ["film_actor", "actor"]
    assert near[0][1] > near[1][1]


def test_hits_carry_the_source_name(alice, crawled):
    hits = _search(alice, "customer")
    assert hits and all(h["source_name"] == "music and films" and h["source_id"] == crawled["id"] for h in hits)
