from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field


class TokenIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"
    expires_at: dt.datetime | None


class ApiKeyIn(Schema):
    name: str = Field(min_length=1, max_length=100)


class ApiKeyOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class ApiKeyCreatedOut(ApiKeyOut):
    key: str


class ErrorOut(Schema):
    detail: str
    code: str
    errors: dict[str, list[str]] | None = None
