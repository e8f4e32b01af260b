"""What a handler is given and what it gives back. Plain data: no Flask, no HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from models.districts import DistrictLocator

LineMessage = dict[str, Any]  # a LINE message object, as JSON


@dataclass(frozen=True)
class Profile:
    display_name: str
    language: str | None


@dataclass(frozen=True)
class Content:
    data: bytes
    content_type: str


@dataclass
class HandlerContext:
    session: Session
    at: datetime  # the LINE event timestamp: the time of everything this event causes
    photo_dir: Path
    locator: DistrictLocator
    # Fetched from LINE by the worker before the transaction, so no network call holds a lock.
    profile: Profile | None = None
    content: Content | None = None
    signing_key: bytes = b"rongtook-unsigned"  # signs postback data and photo links (SECRET_KEY)
    public_base_url: str | None = None  # for photo links in cards; None leaves photos out
    category_model_path: Path | None = None  # the category model file (CATEGORY_MODEL_PATH); None: keywords


@dataclass
class Response:
    reply: list[LineMessage] = field(default_factory=list)  # to the sender, by reply token when fresh
    pushes: list[tuple[str, list[LineMessage]]] = field(default_factory=list)  # to others
