"""Who is acting, what they may see and do, and API credentials."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency, AgencyKind, ApiToken, IdempotencyRecord, Profile, TokenKind, hash_secret
from cuakhau.db.prepared import PreparedRead, columns, instance
from cuakhau.errors import Forbidden
from enterprises.models import Enterprise
from gates.models import Gate, Province

ENTERPRISE = "enterprise"
ADMIN = "admin"
SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """The acting user with what they act for, resolved once per request."""

    user: User | None
    kind: str  # "enterprise", "admin", "system", or an AgencyKind value
    enterprise: Enterprise | None = None
    agency: Agency | None = None
    ip_address: str = ""

    @property
    def is_officer(self) -> bool:
        return self.agency is not None

    @property
    def is_supervisor(self) -> bool:
        """A province-wide unit of the management board."""
        return self.agency is not None and self.agency.gate_id is None

    @property
    def name(self) -> str:
        return self.user.get_username() if self.user else "system"

    @property
    def gate_code(self) -> str:
        gate = self.agency.gate if self.agency else None
        return gate.code if gate else ""

    @property
    def enterprise_user(self) -> User:
        """The declaring user; only enterprise actors (always signed in) declare."""
        assert self.user is not None and self.enterprise is not None
        return self.user

    def acts_at_gate(self, gate_id: int, province_id: int) -> bool:
        """Whether this officer acts (confirms, decides) at the gate: only the units of that very gate do.

        A province-wide supervisor sees every gate of the province (registration_scope) but acts at none.
        """
        if self.agency is None or self.agency.gate_id is None:
            return False
        return self.agency.gate_id == gate_id and self.agency.province_id == province_id


def actor_for(user: User | AnonymousUser, ip_address: str = "") -> Actor | None:
    if not user.is_authenticated:
        return None
    profile = profile_of(user)  # type: ignore[arg-type]
    if profile and profile.enterprise_id:
        return Actor(user, ENTERPRISE, enterprise=profile.enterprise, ip_address=ip_address)
    if profile and profile.agency_id:
        assert profile.agency is not None
        return Actor(user, profile.agency.kind, agency=profile.agency, ip_address=ip_address)
    if user.is_superuser:
        return Actor(user, ADMIN, ip_address=ip_address)
    return None


def system_actor() -> Actor:
    return Actor(None, SYSTEM)


def client_ip(request) -> str:  # type: ignore[no-untyped-def]
    return request.META.get("REMOTE_ADDR", "")


# --- visibility -------------------------------------------------------------------------------

def registration_scope(actor: Actor, prefix: str = "") -> Q:
    """A filter on Registration (or, with prefix "registration__", on Trip) for what the actor may see."""
    if actor.kind == ADMIN:
        return Q()
    if actor.enterprise is not None:
        return Q(**{f"{prefix}declarant": actor.enterprise})
    if actor.agency is not None:
        if actor.agency.gate_id is None:
            return Q(**{f"{prefix}gate__province_id": actor.agency.province_id})
        return Q(**{f"{prefix}gate_id": actor.agency.gate_id})
    return Q(pk__in=[])


def may_see_registration(actor: Actor, declarant_id: int, gate_id: int, province_id: int) -> bool:
    """`registration_scope` for one registration already read (same rule, checked in Python)."""
    if actor.kind == ADMIN:
        return True
    if actor.enterprise is not None:
        return actor.enterprise.pk == declarant_id
    if actor.agency is not None:
        if actor.agency.gate_id is None:
            return actor.agency.province_id == province_id
        return actor.agency.gate_id == gate_id
    return False


def trip_scope(actor: Actor) -> Q:
    return registration_scope(actor, prefix="registration__")


def may_see_personal_data(actor: Actor, declarant_id: int, gate_id: int) -> bool:
    """Driver ID and phone: the declaring enterprise and the officers of that very gate."""
    if actor.enterprise is not None:
        return actor.enterprise.pk == declarant_id
    return actor.agency is not None and actor.agency.gate_id == gate_id


def is_board(actor: Actor) -> bool:
    return actor.kind == AgencyKind.MANAGEMENT_BOARD


# --- credentials ------------------------------------------------------------------------------

def issue_token(user: User, kind: str = TokenKind.SESSION, name: str = "") -> tuple[ApiToken, str]:
    """Create a credential; the secret is returned once and only its hash is stored."""
    secret = ApiToken.new_secret(kind)
    expires_at = None
    if kind == TokenKind.SESSION:
        expires_at = timezone.now() + dt.timedelta(seconds=settings.CUAKHAU_TOKEN_TTL_SECONDS)
    token = ApiToken.objects.create(user=user, kind=kind, name=name, prefix=secret[:10],
                                    secret_hash=hash_secret(secret), expires_at=expires_at)
    return token, secret


# A profile with what it acts for (enterprise, or agency with its gate and province) is read on every
# request, by the API's token lookup and by every signed-in page. Both reads are compiled once per
# connection and prepared on PostgreSQL, where planning these left joins cost more than running them
# (≈ 2.6 ms against 0.15 ms for the token's seven tables, 1.3 ms for the profile's five); the rows
# become the same related instances select_related builds.
_PROFILE_RELATIONS: tuple[tuple[str, type[Model]], ...] = (
    ("", Profile), ("enterprise__", Enterprise), ("agency__", Agency), ("agency__gate__", Gate),
    ("agency__province__", Province))


def _columns(prefix: str, relations: tuple[tuple[str, type[Model]], ...]) -> list[str]:
    return [name for relation, model in relations for name in columns(model, prefix + relation)]


_profile_row = PreparedRead(lambda user_id: Profile.objects.filter(user_id=user_id).values(
    *_columns("", _PROFILE_RELATIONS)))
_token_row = PreparedRead(lambda secret_hash: ApiToken.objects.filter(
    secret_hash=secret_hash, revoked_at__isnull=True).values(
    *columns(ApiToken), *columns(User, "user__"), *_columns("user__profile__", _PROFILE_RELATIONS)))


def _related(model: type[Model], row: dict[str, Any], prefix: str) -> Any:
    """The instance read through a (left) join at `prefix`, or None where the join found no row."""
    return None if row[prefix + model._meta.pk.attname] is None else instance(model, row, prefix)


def _remember_profile(user: User, row: dict[str, Any] | None, prefix: str = "") -> Profile | None:
    """The user's profile from a row of `_PROFILE_RELATIONS` columns, kept where `user.profile` keeps it, for
    the page layout and the Actor alike; None is kept too (an administrator has no profile)."""
    profile = _related(Profile, row, prefix) if row is not None else None
    User.profile.related.set_cached_value(user, profile)  # type: ignore[attr-defined]
    if profile is not None:
        profile.user = user
        profile.enterprise = _related(Enterprise, row, prefix + "enterprise__")  # type: ignore[arg-type]
        agency = profile.agency = _related(Agency, row, prefix + "agency__")  # type: ignore[arg-type]
        if agency is not None:
            agency.gate = _related(Gate, row, prefix + "agency__gate__")  # type: ignore[arg-type]
            agency.province = instance(Province, row, prefix + "agency__province__")  # type: ignore[arg-type]
    return profile


def profile_of(user: User) -> Profile | None:
    """The signed-in user's profile, read once per request (then from `user.profile`'s own cache)."""
    relation = User.profile.related  # type: ignore[attr-defined]
    if relation.is_cached(user):
        return relation.get_cached_value(user)  # type: ignore[no-any-return,return-value]
    rows = _profile_row(user_id=user.pk)
    return _remember_profile(user, rows[0] if rows else None)


def user_for_secret(secret: str) -> User | None:
    rows = _token_row(secret_hash=hash_secret(secret))
    if not rows:
        return None
    row = rows[0]
    token, user = instance(ApiToken, row), instance(User, row, "user__")
    if not user.is_active or (token.expires_at is not None and token.expires_at <= timezone.now()):
        return None
    _remember_profile(user, row, "user__profile__")
    return user


def do_create_api_key(actor: Actor, name: str) -> tuple[ApiToken, str]:
    """An enterprise's key for its own systems; the secret is returned once. Audited like any change: a key opens
    the enterprise's registrations to whoever holds it, so who issued it, when and from where must be on record."""
    from crossings import audit  # the audit trail is built on accounts: imported here, not at the top

    if actor.enterprise is None or actor.user is None:
        raise Forbidden(_("API keys are for enterprises' own systems."))
    with transaction.atomic():
        token, secret = issue_token(actor.user, TokenKind.API_KEY, name)
        audit.record(actor, "api_key.created", data=_token_facts(token))
    return token, secret


def do_revoke_token(actor: Actor, token: ApiToken) -> bool:
    """Revoke an API key or a sign-in token (its owner, or an administrator); False if it already was."""
    from crossings import audit

    with transaction.atomic():
        if not ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
            return False
        action = "api_key.revoked" if token.kind == TokenKind.API_KEY else "token.revoked"
        audit.record(actor, action, data={**_token_facts(token), "owner": token.user.get_username()})
    return True


def _token_facts(token: ApiToken) -> dict[str, Any]:
    """What identifies a credential in the audit trail: never its secret, only the prefix its owner sees too."""
    return {"token_id": token.pk, "name": token.name, "prefix": token.prefix}


def idempotency_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """Answers kept for retries are replayed, and kept, for CUAKHAU_IDEMPOTENCY_TTL_HOURS: a retry comes within
    minutes, and an answer may hold a driver's ID and phone as its caller saw them, not to be kept for longer."""
    return (now or timezone.now()) - dt.timedelta(hours=settings.CUAKHAU_IDEMPOTENCY_TTL_HOURS)


def purge_idempotency_records(now: dt.datetime | None = None) -> int:
    """Delete the answers kept for retries that can no longer be replayed (run by `cuakhau worker`)."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=idempotency_cutoff(now)).delete()
    return deleted


def officers_of(agency_kind: str, gate_id: int) -> QuerySet[Profile]:
    return Profile.objects.filter(agency__kind=agency_kind, agency__gate_id=gate_id)
