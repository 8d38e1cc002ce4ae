import re

import marshmallow as ma

from catalog.models import ROLES
from catalog.teams import COLOUR_PATTERN, TAG_RULE, TEAM_NAME_MAX, TEAM_NAME_PATTERN, is_tag

from ..timestamps import Timestamp


def _team_name(name: str) -> None:
    """A function, not a Regexp: the pattern would be documented for the
    answers too, where personal teams carry an email."""
    if not re.fullmatch(TEAM_NAME_PATTERN, name):
        raise ma.ValidationError("a team's name holds no @ and no control characters")


_ROLE = {"description": "viewer (reads), curator (also curates and reviews), admin (also sources, crawls, members)."}


class TeamInputSchema(ma.Schema):
    """What creating or renaming a team takes (the answer is a Team)."""

    name = ma.fields.String(
        required=True,
        validate=[ma.validate.Length(min=1, max=TEAM_NAME_MAX), _team_name],
        metadata={"description": "Unique (ignoring case); `@` is kept for personal teams, named by their email."},
    )


class TeamSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True, metadata=TeamInputSchema._declared_fields["name"].metadata)
    personal = ma.fields.Boolean(required=True, metadata={"description": "A user's own team, made with the account."})
    role = ma.fields.String(required=True, metadata={"description": "Your role in the team. " + _ROLE["description"]})
    members = ma.fields.Integer(required=True, metadata={"description": "How many members it has."})
    sources = ma.fields.Integer(required=True, metadata={"description": "How many sources it has."})
    created_at = Timestamp(required=True)


class TeamListSchema(ma.Schema):
    teams = ma.fields.List(ma.fields.Nested(TeamSchema), required=True)


class MemberInputSchema(ma.Schema):
    """What adding a member takes (the answer is a Member)."""

    email = ma.fields.Email(
        required=True,
        validate=ma.validate.Length(max=320),
        metadata={"description": "The email of an existing account (no mail is sent)."},
    )
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLES), metadata=_ROLE)


class MemberSchema(ma.Schema):
    user_id = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    role = ma.fields.String(required=True, metadata=_ROLE)
    added_at = Timestamp(required=True)


class MemberListSchema(ma.Schema):
    members = ma.fields.List(ma.fields.Nested(MemberSchema), required=True)


class RoleSchema(ma.Schema):
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLES), metadata=_ROLE)


class TagInputSchema(ma.Schema):
    """What setting a tag takes (its name is in the path; the answer is a Tag)."""

    colour = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(COLOUR_PATTERN, error="a colour is #rrggbb in lowercase hex"),
        metadata={"description": "#rrggbb, shown on the tag."},
    )
    description = ma.fields.String(allow_none=True, load_default=None, validate=ma.validate.Length(max=1000))


class TagSchema(ma.Schema):
    name = ma.fields.String(required=True, metadata={"description": "lowercase-words: a-z, 0-9 and single hyphens."})
    colour = ma.fields.String(required=True, metadata={"description": "#rrggbb, shown on the tag."})
    description = ma.fields.String(required=True, allow_none=True)


class TagListSchema(ma.Schema):
    tags = ma.fields.List(ma.fields.Nested(TagSchema), required=True)


def TAG_NAME(name: str) -> None:
    """A tag's name as a validator (catalog.teams.is_tag)."""
    if not is_tag(name):
        raise ma.ValidationError(TAG_RULE)
