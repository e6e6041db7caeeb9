"""Sign-in through OpenID Connect providers: the configured providers and who is signing in.

The protocol is Authlib's (`authlib.integrations.flask_client`): discovery from the
issuer's metadata, the authorization code flow with PKCE (S256), `state` and `nonce`, and
the ID token's signature (the provider's JWKS), issuer, audience and expiry checked before
any claim is read. This module adds what is ours:

- the providers, read from OIDC_PROVIDERS and checked when the app starts;
- a one-time store for each started sign-in (`StateCache`, Authlib's cache): the state's
  nonce and PKCE verifier live in the app database, not in the cookie, and the callback
  takes them out, so a replayed callback finds nothing whatever cookie it carries;
- who the account is here (`user_for`): the provider's issuer and subject, linked once,
  by an admin or by a verified email of an allowed domain; optionally a new user.

Like every service, nothing here commits: the view does, once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from joserfc.errors import JoseError
from sqlalchemy import delete, func, select

from .. import users  # the module: users imports auth.reset, so names here would be a cycle
from ..extensions import db
from ..models import OidcState, User, UserIdentity, audit, utcnow
from ..vocabulary import Role

EXTENSION = "interviewkit.oidc"
NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
KEYS = {
    "name",
    "label",
    "issuer",
    "client_id",
    "client_secret",
    "allowed_domains",
    "role_claim",
    "role_map",
    "default_role",
    "jit",
    "scope",
}
STATE_MINUTES = 10  # a sign-in must come back from the provider within this
LEEWAY_SECONDS = 60  # clock difference allowed on the ID token's exp and iat


class ConfigError(ValueError):
    """OIDC_PROVIDERS or PASSWORD_LOGIN is wrong; the message says which entry and what to fix."""


class SignInRefused(Exception):
    """A provider sign-in is refused; the message tells the person what to do.

    `reason` is a short word for the audit log; `user`, `email` and `subject` are what is
    known of who tried (nothing, when the token itself was not valid).
    """

    def __init__(
        self,
        message: str,
        reason: str,
        *,
        user: User | None = None,
        email: str = "",
        subject: str = "",
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.user = user
        self.email = email
        self.subject = subject


@dataclass(frozen=True)
class Provider:
    """One configured OpenID Connect provider."""

    name: str  # in the URLs: /login/oidc/<name>
    label: str  # on the button: "Sign in with <label>"
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    allowed_domains: tuple[str, ...] = ()
    role_claim: str = ""
    role_map: dict = field(default_factory=dict)
    default_role: str = ""
    jit: bool = False
    scope: str = "openid email profile"

    @property
    def metadata_url(self) -> str:
        """Return the address of the issuer's discovery document."""
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


# -- configuration ----------------------------------------------------------------------------


def parse_providers(value) -> list[Provider]:
    """Return the providers of OIDC_PROVIDERS (a list of dicts, or that list as JSON)."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except ValueError as exc:
            raise ConfigError(f"OIDC_PROVIDERS is not a JSON list: {exc}") from None
    if not isinstance(value, list | tuple):
        raise ConfigError("OIDC_PROVIDERS must be a list of providers (dicts)")
    providers = [_provider(i, entry) for i, entry in enumerate(value)]
    names = [p.name for p in providers]
    if len(set(names)) != len(names):
        raise ConfigError("OIDC_PROVIDERS: two providers have the same name; names must differ")
    return providers


def _provider(index: int, entry) -> Provider:
    where = f"OIDC_PROVIDERS[{index}]"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a dict with name, issuer, client_id, client_secret")
    unknown = set(entry) - KEYS
    if unknown:
        raise ConfigError(f"{where} has unknown keys {sorted(unknown)}; known: {sorted(KEYS)}")
    for key in ("name", "issuer", "client_id", "client_secret"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ConfigError(f"{where} needs {key} (a non-empty string)")
    if not NAME.fullmatch(entry["name"]):
        raise ConfigError(f"{where}: name must be lower-case letters, digits and '-' (it is a URL)")
    if not entry["issuer"].startswith(("https://", "http://")):
        raise ConfigError(
            f"{where}: issuer must be the provider's URL, e.g. https://id.example.com"
        )
    roles = {r.value for r in Role}
    role_map = entry.get("role_map") or {}
    if not isinstance(role_map, dict) or not set(role_map.values()) <= roles:
        raise ConfigError(f"{where}: role_map maps claim values to one of {sorted(roles)}")
    default_role = entry.get("default_role") or ""
    if default_role and default_role not in roles:
        raise ConfigError(f"{where}: default_role must be one of {sorted(roles)}")
    domains = entry.get("allowed_domains") or []
    if isinstance(domains, str) or not all(isinstance(d, str) for d in domains):
        raise ConfigError(f'{where}: allowed_domains is a list, e.g. ["example.com"]')
    jit = entry.get("jit", False)
    if not isinstance(jit, bool):
        raise ConfigError(f"{where}: jit is true or false")
    if jit and not domains:
        raise ConfigError(f"{where}: jit needs allowed_domains (whose people may get an account)")
    scope = entry.get("scope") or Provider.scope
    if "openid" not in scope.split():
        raise ConfigError(f"{where}: scope must include openid")
    return Provider(
        name=entry["name"],
        label=entry.get("label") or entry["name"],
        issuer=entry["issuer"].strip(),
        client_id=entry["client_id"],
        client_secret=entry["client_secret"],
        allowed_domains=tuple(d.strip().lower().lstrip("@") for d in domains),
        role_claim=entry.get("role_claim") or "",
        role_map=dict(role_map),
        default_role=default_role,
        jit=jit,
        scope=scope,
    )


def init_app(app: Flask) -> None:
    """Read the providers and register an Authlib client for each (ConfigError if wrong)."""
    providers = parse_providers(app.config.get("OIDC_PROVIDERS") or [])
    if not app.config.get("PASSWORD_LOGIN", True) and not providers:
        raise ConfigError(
            "PASSWORD_LOGIN is off but OIDC_PROVIDERS is empty: nobody could sign in. "
            "Configure a provider, or turn PASSWORD_LOGIN back on."
        )
    oauth = OAuth(app, cache=StateCache())
    for p in providers:
        oauth.register(
            p.name,
            client_id=p.client_id,
            client_secret=p.client_secret,
            server_metadata_url=p.metadata_url,
            client_kwargs={
                "scope": p.scope,
                "code_challenge_method": "S256",
                "default_timeout": 10,
            },
        )
    app.extensions[EXTENSION] = ({p.name: p for p in providers}, oauth)


def providers() -> list[Provider]:
    """Return the configured providers, in the configured order."""
    return list(current_app.extensions[EXTENSION][0].values())


def provider(name: str) -> Provider | None:
    """Return the provider with this name, or None."""
    return current_app.extensions[EXTENSION][0].get(name)


def client(p: Provider):
    """Return the Authlib client of a provider."""
    return current_app.extensions[EXTENSION][1].create_client(p.name)


def password_login() -> bool:
    """Return True if people may sign in with a password (PASSWORD_LOGIN)."""
    return bool(current_app.config.get("PASSWORD_LOGIN", True))


class StateCache:
    """Authlib's cache for started sign-ins, in the app database: each is taken once.

    Authlib keeps a marker in the cookie and the state's data (nonce, PKCE verifier,
    redirect URI) here. `get` takes the row out: a second callback with the same state
    (a replay, even with an old copy of the cookie) finds nothing and is refused.
    """

    def get(self, key: str) -> str | None:
        """Return and remove a started sign-in's data; None if unknown, used or expired."""
        row = db.session.get(OidcState, key)
        if row is None:
            return None
        value, fresh = row.value, row.expires_at > utcnow()
        taken = db.session.execute(delete(OidcState).where(OidcState.key == key)).rowcount
        return value if taken == 1 and fresh else None

    def set(self, key: str, value: str, expires_in: int | None = None) -> None:
        """Keep a started sign-in's data for STATE_MINUTES; drop the expired ones."""
        now = utcnow()
        db.session.execute(delete(OidcState).where(OidcState.expires_at < now))
        lifetime = timedelta(minutes=STATE_MINUTES)
        db.session.add(OidcState(key=key, value=value, expires_at=now + lifetime))

    def delete(self, key: str) -> None:
        """Forget a started sign-in."""
        db.session.execute(delete(OidcState).where(OidcState.key == key))


# -- the sign-in ------------------------------------------------------------------------------


def start(p: Provider, redirect_uri: str):
    """Return the redirect to the provider's sign-in page (state, nonce and PKCE kept here).

    The issuer's discovery document must name the configured issuer (OpenID Connect
    Discovery, 4.3), or its endpoints are not trusted. Raise SignInRefused if the provider
    cannot be reached or does not match.
    """
    oauth_client = client(p)
    try:
        metadata = oauth_client.load_server_metadata()
    except (requests.RequestException, ValueError):
        raise SignInRefused(
            f"{p.label} could not be reached. Try again in a minute; if it keeps failing, "
            "tell your admin.",
            "unreachable",
        ) from None
    if metadata.get("issuer") != p.issuer:
        raise SignInRefused(
            f"{p.label} is not set up correctly here (its issuer does not match). Tell your admin.",
            "issuer",
        )
    return oauth_client.authorize_redirect(redirect_uri)


# -- the callback ----------------------------------------------------------------------------


def verified_claims(p: Provider) -> dict:
    """Finish the code flow of this request's callback; return the ID token's checked claims.

    Authlib takes the state's data (once), sends the code with the PKCE verifier, and
    checks the ID token: signature against the provider's keys, iss, aud, exp, iat, nonce.
    Raise SignInRefused when anything fails, saying what the person can do.
    """
    again = f"Go back to the sign-in page and choose {p.label} again."
    try:
        token = client(p).authorize_access_token(
            claims_options={"iss": {"essential": True, "values": [p.issuer]}},
            leeway=LEEWAY_SECONDS,
        )
    except requests.RequestException:
        raise SignInRefused(
            f"{p.label} could not be reached to finish signing in. Try again in a minute; "
            "if it keeps failing, tell your admin.",
            "unreachable",
        ) from None
    except AuthlibBaseError as exc:
        error = getattr(exc, "error", "") or ""
        if error == "mismatching_state":
            raise SignInRefused(
                f"This sign-in link was already used, has expired or was started in another "
                f"browser. {again}",
                "state",
            ) from None
        if error == "access_denied":
            raise SignInRefused(f"{p.label} did not sign you in. {again}", "denied") from None
        raise SignInRefused(f"{p.label} refused to finish the sign-in. {again}", "token") from None
    except JoseError:
        raise SignInRefused(
            f"{p.label} sent an identity that is not valid (bad signature, wrong audience or "
            f"expired). {again} If it happens again, tell your admin.",
            "id_token",
        ) from None
    claims = token.get("userinfo")  # the ID token's claims, set only once they are verified
    if not claims or not claims.get("sub"):
        raise SignInRefused(
            f"{p.label} did not send an ID token. Tell your admin: the provider must be set "
            "up for OpenID Connect.",
            "id_token",
        )
    return dict(claims)


def user_for(p: Provider, claims: dict) -> tuple[User, str]:
    """Return the user a provider's verified account signs in as, and how it was found.

    The account is found by issuer and subject ("identity"). Unknown, it is linked to the
    user with its email only if the provider says the email is verified and its domain is
    allowed ("email"); with `jit` a user is created ("created"). A disabled user is
    refused. Raise SignInRefused otherwise.
    """
    issuer, subject = claims["iss"], str(claims["sub"])
    email = str(claims.get("email") or "").strip().lower()
    identity = db.session.execute(
        select(UserIdentity).where(UserIdentity.issuer == issuer, UserIdentity.subject == subject)
    ).scalar_one_or_none()
    ask = f"Ask an admin to link your {p.label} account (id {subject}) to your user here."
    if identity is not None:
        _check_active(identity.user, email, subject)
        return identity.user, "identity"
    domain = email.rpartition("@")[2]
    if not email or not p.allowed_domains:
        raise SignInRefused(
            f"Your {p.label} account is not linked to a user here. {ask}",
            "not_linked",
            email=email,
            subject=subject,
        )
    if domain not in p.allowed_domains:
        raise SignInRefused(
            f"Accounts of {domain} cannot sign in here through {p.label}. Sign in with "
            f"your work account, or ask an admin to link this one (id {subject}).",
            "domain",
            email=email,
            subject=subject,
        )
    if not _email_verified(claims):
        raise SignInRefused(
            f"{p.label} has not verified your email {email}. Verify it there, then sign in "
            f"again; or {ask[0].lower()}{ask[1:]}",
            "unverified",
            email=email,
            subject=subject,
        )
    user = db.session.execute(
        select(User).where(func.lower(User.email) == email)
    ).scalar_one_or_none()
    if user is not None:
        _check_active(user, email, subject)
        link_identity(user, issuer, subject, via="email", actor=None)
        return user, "email"
    if not p.jit:
        raise SignInRefused(
            f"There is no user here with the email {email}. Ask an admin to add you.",
            "no_user",
            email=email,
            subject=subject,
        )
    role = role_for(p, claims)
    if not role:
        raise SignInRefused(
            f"Your {p.label} account has no role here. Ask an admin to add you.",
            "no_role",
            email=email,
            subject=subject,
        )
    try:
        name = str(claims.get("name") or "")
        user = users.add_user(email, name, role, None, via=f"oidc:{p.name}")
    except users.UserError as exc:
        raise SignInRefused(
            f"A user could not be created for {email} ({exc}). Ask an admin to add you.",
            "no_user",
            email=email,
            subject=subject,
        ) from None
    link_identity(user, issuer, subject, via="created", actor=None)
    return user, "created"


def _check_active(user: User, email: str, subject: str) -> None:
    if not user.active:
        raise SignInRefused(
            "Your user here is disabled. Ask an admin if you should have access.",
            "disabled",
            user=user,
            email=email,
            subject=subject,
        )


def _email_verified(claims: dict) -> bool:
    # Some providers send the flag as a string.
    return claims.get("email_verified") in (True, "true")


def role_for(p: Provider, claims: dict) -> str:
    """Return the role a new user gets: the first role_map entry the claim holds, else default."""
    held = claims.get(p.role_claim) if p.role_claim else None
    if held is None:
        return p.default_role
    values = {str(v) for v in held} if isinstance(held, list | tuple) else {str(held)}
    return next((role for value, role in p.role_map.items() if value in values), p.default_role)


# -- links, made and removed by admins ----------------------------------------------------------


class LinkError(Exception):
    """An identity cannot be linked as asked; the message says why."""


def link_identity(
    user: User, issuer: str, subject: str, *, via: str, actor: User | None
) -> UserIdentity:
    """Link a provider's account (issuer, subject) to a user and audit it."""
    subject = subject.strip()
    if not subject or len(subject) > 255:
        raise LinkError("Give the account's id at the provider (its subject, 1 to 255 characters).")
    taken = db.session.execute(
        select(UserIdentity).where(UserIdentity.issuer == issuer, UserIdentity.subject == subject)
    ).scalar_one_or_none()
    if taken is not None:
        raise LinkError(f"That account is already linked to {taken.user.name}: unlink it there.")
    identity = UserIdentity(
        user_id=user.id,
        issuer=issuer,
        subject=subject,
        via=via,
        linked_by_id=actor.id if actor is not None else None,
    )
    db.session.add(identity)
    db.session.flush()
    audit(actor, "identity_linked", user, issuer=issuer, subject=subject, via=via)
    return identity


def unlink_identity(identity: UserIdentity, actor: User) -> None:
    """Remove a user's link to a provider's account and audit it."""
    audit(
        actor,
        "identity_unlinked",
        identity.user,
        issuer=identity.issuer,
        subject=identity.subject,
    )
    db.session.delete(identity)


def identities_of(user: User) -> list[UserIdentity]:
    """Return a user's linked provider accounts, oldest first."""
    return list(
        db.session.scalars(
            select(UserIdentity)
            .where(UserIdentity.user_id == user.id)
            .order_by(UserIdentity.created_at, UserIdentity.id)
        )
    )


def provider_for_issuer(issuer: str) -> Provider | None:
    """Return the configured provider of an issuer, if any (for labels on the user page)."""
    return next((p for p in providers() if p.issuer == issuer), None)
