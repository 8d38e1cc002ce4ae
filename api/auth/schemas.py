import marshmallow as ma

from catalog.passwords import MIN_LENGTH, WeakPassword, check_password

from ..timestamps import Timestamp


class CredentialsSchema(ma.Schema):
    email = ma.fields.Email(required=True, validate=ma.validate.Length(max=320))
    password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(min=1, max=1024))


class RegisterSchema(CredentialsSchema):
    password = ma.fields.String(
        required=True,
        load_only=True,
        validate=ma.validate.Length(max=1024),
        metadata={
            "description": f"At least {MIN_LENGTH} characters, not one of the most common passwords "
            "(with or without digits added), not close to the email."
        },
    )

    @ma.validates_schema(skip_on_field_errors=False)
    def strong_password(self, data, **kwargs):
        if "password" not in data:
            return  # missing or refused already
        try:
            check_password(data["password"], data.get("email"))
        except WeakPassword as e:
            raise ma.ValidationError(str(e), field_name="password") from None


class RegisterAcceptedSchema(ma.Schema):
    message = ma.fields.String(required=True)
    login_url = ma.fields.String(required=True)


class UserSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    email = ma.fields.String(dump_only=True)
    is_admin = ma.fields.Boolean(dump_only=True)
    created_at = Timestamp(dump_only=True)


class TokensSchema(ma.Schema):
    access_token = ma.fields.String(required=True)
    refresh_token = ma.fields.String(required=True)
    token_type = ma.fields.String(required=True)
    expires_in = ma.fields.Integer(metadata={"description": "Seconds until the access token expires."}, required=True)


class AccessTokenSchema(ma.Schema):
    access_token = ma.fields.String(required=True)
    token_type = ma.fields.String(required=True)
    expires_in = ma.fields.Integer(required=True)
