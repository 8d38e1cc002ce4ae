"""Signing in, registering and signing out."""

from __future__ import annotations

import contextlib

from flask import current_app, g, make_response, redirect, render_template, request

from catalog.accounts import EmailTaken, authenticate, create_user
from catalog.db import transaction

from ..auth import limits
from ..auth.schemas import CredentialsSchema, RegisterSchema
from . import blp
from .forms import load_with
from .session import (
    end_session,
    login_csrf_ok,
    login_csrf_token,
    optional_user,
    page,
    safe_next,
    start_session,
    with_login_csrf,
)

REGISTERED = (
    "Registration received: if this email had no account, it has one now with the password you chose. "
    "Sign in to find out."
)
EXPIRED = (
    "This form has expired or came from another site: nothing was sent. "
    "Please try again (your browser must accept cookies from this site)."
)


def _registration_open() -> bool:
    return current_app.config["METACRAWL"].allow_registration


@blp.get("/")
def home():
    return redirect("/sources" if optional_user() else "/login")


@blp.route("/login", methods=["GET", "POST"])
def login():
    errors: dict[str, list[str]] = {}
    email = ""
    next_url = safe_next(request.values.get("next"))  # no open redirect
    problem = ""
    wait = None
    if request.method == "POST":
        email = (request.form.get("email") or "").strip()
        data, errors = load_with(CredentialsSchema(), {"email": email, "password": request.form.get("password") or ""})
        if not login_csrf_ok():
            errors, problem = {}, EXPIRED
        elif not errors and (wait := limits.retry_after(data["email"])) is not None:
            # the API's limits, per account and per address, checked before the password
            problem = f"Too many failed sign-ins for this account or from this address: try again in {wait} seconds."
        elif not errors:
            with transaction() as session:
                user = authenticate(session, data["email"], data["password"])
            if user is None:
                limits.record_failure(data["email"])
                errors = {"password": ["Wrong email or password."]}
            else:
                limits.record_success(data["email"])
                response = redirect(next_url)
                start_session(response, user)
                return response
    status = 429 if wait is not None else 400 if problem else 422 if errors else 200
    notice = REGISTERED if request.method == "GET" and request.args.get("registered") else ""
    page_html = render_template(
        "login.html",
        errors=errors,
        problem=problem,
        notice=notice,
        email=email,
        next_url=next_url,
        registration=_registration_open(),
        login_csrf=login_csrf_token(),
    )
    response = with_login_csrf(make_response(page_html, status))
    if wait is not None:
        response.headers["Retry-After"] = str(wait)
    return response


@blp.route("/register", methods=["GET", "POST"])
def register():
    if not _registration_open():
        return render_template(
            "error.html", status=403, title="Registration is closed", message="Ask an operator for an account."
        ), 403
    errors: dict[str, list[str]] = {}
    email = ""
    problem = ""
    if request.method == "POST":
        email = (request.form.get("email") or "").strip()
        password = request.form.get("password") or ""
        data, errors = load_with(RegisterSchema(), {"email": email, "password": password})
        if not login_csrf_ok():
            errors, problem = {}, EXPIRED
        elif not errors and password != (request.form.get("password_again") or ""):
            errors = {"password_again": ["The two passwords differ."]}
        if not errors and not problem:
            # As the API's registration: the same answer whether the email had an
            # account or not (its password is hashed all the same), and no session.
            with transaction() as session, contextlib.suppress(EmailTaken):
                create_user(session, data["email"], data["password"])
            return redirect("/login?registered=1", 303)
    status = 400 if problem else 422 if errors else 200
    page_html = render_template(
        "register.html", errors=errors, problem=problem, email=email, login_csrf=login_csrf_token()
    )
    return with_login_csrf(make_response(page_html, status))


@blp.post("/logout")
@page
def logout():
    response = redirect("/login")
    end_session(response)
    g.session_ended = True
    return response
