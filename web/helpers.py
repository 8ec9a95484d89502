"""What every page needs: the acting user, service errors as 4xx pages or fragments, form parsing."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.services import Actor, actor_for, client_ip, profile_of
from cuakhau.errors import Forbidden, ServiceError


def bounded_count(value: str | None, low: int, high: int) -> int:
    """A count asked for in the query string ("show more"), kept between low and high (low when absent or bad)."""
    return max(low, min(int(value), high)) if value and value.isdigit() else low

# What a view answers: a page, or a file streamed (an export).
Answer = TypeVar("Answer", bound=HttpResponseBase)

ERROR_TITLES = {
    403: _("Not allowed"),
    404: _("Not found"),
    409: _("Could not be done"),
    422: _("Please correct the errors"),
}


def is_htmx(request: HttpRequest) -> bool:
    """Whether HTMX asked for a fragment (django-htmx's middleware sets request.htmx). Restoring
    a page from history (the back button after hx-push-url) needs the whole page."""
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request


def error_response(request: HttpRequest, error: ServiceError) -> HttpResponse:
    """A service error in the user's language: a full page, or an inline fragment for HTMX."""
    context = {"error": error, "title": ERROR_TITLES.get(error.status, _("Error")),
               "field_errors": getattr(error, "errors", {})}
    template = "web/partials/error.html" if is_htmx(request) else "web/error.html"
    return render(request, template, context, status=error.status)


def current_actor(request: HttpRequest) -> Actor:
    remember_profile(request.user)
    actor = actor_for(request.user, client_ip(request))
    if actor is None:
        raise Forbidden(_("Your account is not attached to an enterprise or an agency."))
    return actor


def remember_profile(user: Any) -> None:
    """Load the user's profile (with its enterprise or agency) once per request, for the Actor and for
    the page layout's `user.profile…` alike, instead of one query each."""
    if user.is_authenticated:
        profile_of(user)


def with_actor(view: Callable[..., Answer]) -> Callable[..., Answer | HttpResponse]:
    """Sign-in required; the view receives the Actor; ServiceErrors become 403/404/409/422 answers."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Answer | HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            actor = current_actor(request)
            return view(request, actor, *args, **kwargs)
        except ServiceError as error:
            return error_response(request, error)

    return wrapper


def officer_only(actor: Actor) -> None:
    if actor.agency is None:
        raise Forbidden(_("This page is for officers at the gate."))


def enterprise_only(actor: Actor) -> None:
    if actor.enterprise is None:
        raise Forbidden(_("This page is for enterprise users."))


# --- nested form data -------------------------------------------------------------------------

def nest(post: QueryDict | Mapping[str, str], skip: tuple[str, ...] = ("csrfmiddlewaretoken",)) -> dict[str, Any]:
    """Inputs named with dotted paths ("vehicles.3.driver.name") as nested dicts and lists.

    Numeric parts become list positions in ascending order, so rows removed or added in the
    browser (leaving gaps or large numbers) compact to 0, 1, 2… — the indices validation reports.
    """
    root: dict[str, Any] = {}
    for key in post:
        if key in skip or not key:
            continue
        value = post.get(key, "")
        parts = key.split(".")
        node = root
        try:
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value.strip() if isinstance(value, str) else value
        except (AttributeError, TypeError):  # "a" and "a.b" both sent: ignore the clash
            continue
    return _listify(root)


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(key.isdigit() for key in node):
            return [_listify(node[key]) for key in sorted(node, key=int)]
        return {key: _listify(value) for key, value in node.items()}
    return node


def in_languages(text: Any, languages: tuple[str, ...] = ("vi", "zh-hans")) -> list[str]:
    """One (lazily translated) text in each language, for bilingual pages."""
    out = []
    for language in languages:
        with translation.override(language):
            out.append(str(text))
    return out


@functools.lru_cache(maxsize=2048)
def qr_svg(text: str, scale: int = 4, *, document: bool = False) -> str:
    """A QR code as SVG, inline in a page or (`document`) a file of its own for an <img>; remembered, as
    choosing the best mask costs ≈ 6 ms per code (20 ms on a slower host)."""
    import io

    import segno

    code = segno.make(text, error="m")
    # No fixed size (a viewBox only): the CSS fits it to a phone screen instead of leaving a blank box.
    if not document:
        return code.svg_inline(scale=scale, omitsize=True)
    out = io.BytesIO()
    code.save(out, kind="svg", scale=scale, omitsize=True, xmldecl=False)
    return out.getvalue().decode()


def vnd(amount: int | None) -> str:
    """Vietnamese grouping whatever the page language: 500000 → "500.000 ₫"."""
    if amount is None:
        return "—"
    return f"{amount:,}".replace(",", ".") + " ₫"
