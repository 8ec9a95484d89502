"""Small template helpers: VND amounts, plates, and per-field error lists of nested forms."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join

from cuakhau.lib.plates import shown_plate
from web.helpers import vnd as _vnd

register = template.Library()


@register.filter
def vnd(amount: int | None) -> str:
    return _vnd(amount)


@register.filter
def plate(value: str) -> str:
    return shown_plate(value)


def _path(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix and name else (prefix or name)


@register.simple_tag(takes_context=True)
def field_errors(context: template.Context, prefix: str, name: str = "") -> str:
    """The messages for the input named prefix.name, as an error list tied to it."""
    path = _path(prefix, name)
    messages = (context.get("errors") or {}).get(path) or []
    if not messages:
        return ""
    return format_html('<ul class="errorlist" id="err-{}" role="alert">{}</ul>', path,
                       format_html_join("", "<li>{}</li>", ((str(m),) for m in messages)))


@register.simple_tag(takes_context=True)
def invalid(context: template.Context, prefix: str, name: str = "") -> str:
    """aria attributes marking an input that has errors."""
    path = _path(prefix, name)
    if (context.get("errors") or {}).get(path):
        return format_html(' aria-invalid="true" aria-describedby="err-{}"', path)
    return ""


@register.filter
def get(mapping: Any, key: str) -> Any:
    if isinstance(mapping, dict):
        return mapping.get(key, "")
    return ""
