"""Changing curation: `curate` checks the object and the input, writes the
fields that changed and one audit row per changed field (before and after),
and nothing when nothing changed. `strip_tag` takes a tag the team dropped
from its list off every object of the team's sources, with audit rows."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ..models import Source, Team, TeamMember, TeamTag, User
from ..models.curation import Curation, CurationAudit
from ..teams import is_tag
from .objects import DESCRIPTION_MAX, CurationError, Target, require_present

FIELDS = ("description", "tags", "owners")
# An owner as a PATCH names it: `user:<email>`, `user:<id>`, `team:<name>`;
# a bare email is a user.
OWNER_PATTERN = re.compile(r"\A(?:(user|team):)?(.+)\Z", re.DOTALL)
OWNERS_MAX = 50
TAGS_MAX = 50


def check_description(value: str | None) -> str | None:
    """The description to store: None for none (empty or only blanks)."""
    if value is None or not value.strip():
        return None
    if len(value) > DESCRIPTION_MAX:
        raise CurationError("description", f"a description is at most {DESCRIPTION_MAX} characters ({len(value)})")
    if "\x00" in value:
        raise CurationError("description", "a description holds no NUL character")
    return value


def check_tags(session: Session, team_id: int, tags: Iterable[str]) -> list[str]:
    """The tags, sorted without repeats; each `lowercase-words` and in the team's list."""
    wanted = sorted(set(tags))
    if len(wanted) > TAGS_MAX:
        raise CurationError("tags", f"at most {TAGS_MAX} tags")
    for tag in wanted:
        if not is_tag(tag):
            raise CurationError("tags", f"{tag!r} is not a tag: lowercase-words, a-z, 0-9 and single hyphens")
    known = set(session.scalars(select(TeamTag.name).where(TeamTag.team_id == team_id, TeamTag.name.in_(wanted))))
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise CurationError("tags", f"not in the team's tag list: {', '.join(unknown)} (add them to the team first)")
    return wanted


def _owner_user(session: Session, team_id: int, name: str) -> int:
    query = select(User.id).join(TeamMember, TeamMember.user_id == User.id).where(TeamMember.team_id == team_id)
    if name.isdigit():
        query = query.where(User.id == int(name))
    else:
        query = query.where(func.lower(User.email) == name.lower())
    user_id = session.scalar(query)
    if user_id is None:
        raise CurationError("owners", f"{name!r} is not a member of the source's team")
    return user_id


def check_owners(session: Session, team_id: int, owners: Iterable[str], user_id: int) -> tuple[list[int], list[int]]:
    """(user ids, team ids), each sorted without repeats: users are members
    of the source's team, teams are the curator's own (`user_id`'s: so a
    refusal tells nothing of teams they are not in)."""
    owners = list(owners)
    if len(owners) > OWNERS_MAX:
        raise CurationError("owners", f"at most {OWNERS_MAX} owners")
    users: set[int] = set()
    teams: set[int] = set()
    for owner in owners:
        m = OWNER_PATTERN.match(owner.strip())
        kind, name = (m.group(1), m.group(2).strip()) if m else (None, "")
        if not name or (kind is None and "@" not in name):
            raise CurationError("owners", f"{owner!r}: an owner is user:<email>, user:<id> or team:<name>")
        if kind == "team":
            mine = select(TeamMember.team_id).where(TeamMember.user_id == user_id)
            team_id_ = session.scalar(select(Team.id).where(func.lower(Team.name) == name.lower(), Team.id.in_(mine)))
            if team_id_ is None:
                raise CurationError("owners", f"you are in no team named {name!r}")
            teams.add(team_id_)
        else:
            users.add(_owner_user(session, team_id, name))
    return sorted(users), sorted(teams)


def _owners_json(session: Session, user_ids: list[int], team_ids: list[int]) -> list[dict]:
    """Owners as the audit keeps them: kind, id and the name at the time."""
    emails = dict(session.execute(select(User.id, User.email).where(User.id.in_(user_ids))).all()) if user_ids else {}
    names = dict(session.execute(select(Team.id, Team.name).where(Team.id.in_(team_ids))).all()) if team_ids else {}
    return [{"kind": "user", "id": u, "name": emails.get(u)} for u in user_ids] + [
        {"kind": "team", "id": t, "name": names.get(t)} for t in team_ids
    ]


def _locked_row(session: Session, source_id: int, target: Target, create: bool) -> Curation | None:
    key = {
        "source_id": source_id,
        "kind": target.kind,
        "schema_name": target.schema_name,
        "table_id": target.table_id,
        "column_name": target.column_name,
    }
    query = select(Curation).filter_by(**key).with_for_update()
    row = session.scalar(query)
    if row is None and create:
        session.execute(
            insert(Curation)
            .values(**key, updated_at=datetime.now(UTC))
            .on_conflict_do_nothing(constraint="uq_catalog_curation_key")
        )
        row = session.scalar(query.execution_options(populate_existing=True))
    return row


def curate(session: Session, source: Source, target: Target, changes: dict, user_id: int) -> list[str]:
    """Apply `changes` (any of description: str|None, tags: [str], owners:
    [str]) to the object's curation as `user_id`; the names of the fields
    that changed. Raises CurationError (NotFound) naming the field at fault;
    writes nothing when nothing changed. The caller commits."""
    require_present(session, source.id, target)
    new: dict = {}
    if "description" in changes:
        new["description"] = check_description(changes["description"])
    if "tags" in changes:
        new["tags"] = check_tags(session, source.team_id, changes["tags"] or [])
    if "owners" in changes:
        new["owners"] = check_owners(session, source.team_id, changes["owners"] or [], user_id)
    row = _locked_row(session, source.id, target, create=False)
    before: dict = {
        "description": row.description if row else None,
        "tags": sorted(row.tags) if row else [],
        "owners": (sorted(row.owner_user_ids), sorted(row.owner_team_ids)) if row else ([], []),
    }
    changed = [f for f in FIELDS if f in new and new[f] != before[f]]
    if not changed:
        return []
    row = row or _locked_row(session, source.id, target, create=True)
    assert row is not None
    now = datetime.now(UTC)
    for field in changed:
        old: object = before[field]
        value: object = new[field]
        if field == "owners":
            old, value = _owners_json(session, *before["owners"]), _owners_json(session, *new["owners"])
            row.owner_user_ids, row.owner_team_ids = new["owners"]
        else:
            setattr(row, field, new[field])
        audit = CurationAudit(curation_id=row.id, user_id=user_id, changed_at=now, field=field, before=old, after=value)
        session.add(audit)
    row.updated_at, row.updated_by = now, user_id
    session.flush()
    return changed


STRIP_TAG = """
    WITH stripped AS (
        UPDATE catalog_curation c SET tags = array_remove(c.tags, :tag), updated_at = :now, updated_by = :uid
        FROM sources s WHERE s.id = c.source_id AND s.team_id = :team AND c.tags @> ARRAY[CAST(:tag AS text)]
        RETURNING c.id, c.tags)
    INSERT INTO catalog_curation_audit (curation_id, user_id, changed_at, field, before, after)
    SELECT id, :uid, :now, 'tags', to_jsonb(array(SELECT unnest(tags || CAST(:tag AS text)) ORDER BY 1)),
           to_jsonb(tags) FROM stripped"""


def strip_tag(session: Session, team_id: int, tag: str, user_id: int | None) -> int:
    """Take `tag` off every curated object of the team's sources (the team
    dropped it from its list), one audit row each; how many it was on."""
    done = session.execute(text(STRIP_TAG), {"tag": tag, "team": team_id, "uid": user_id, "now": datetime.now(UTC)})
    return int(getattr(done, "rowcount", 0) or 0)
