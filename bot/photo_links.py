"""`/media/photos/<id>/<token>`: a complaint photo for LINE to show in a card.

LINE's servers fetch card images by URL, without cookies, so the link itself is the key: the
token is an HMAC of the photo id under SECRET_KEY and cannot be guessed from the id.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app
from flask.typing import ResponseReturnValue

from admin.views import send_photo
from bot.services import Services
from handlers.signing import valid_photo_token
from models import Photo
from models.db import transaction

bp = Blueprint("photo_links", __name__)


@bp.get("/media/photos/<int:photo_id>/<token>")
def photo(photo_id: int, token: str) -> ResponseReturnValue:
    services: Services = current_app.extensions["rongtook"]
    if not valid_photo_token(services.settings.secret_key.encode(), photo_id, token):
        abort(404)
    with transaction(services.sessions) as session:
        row = session.get(Photo, photo_id)
        if row is None:
            abort(404)
        return send_photo(services, row, max_age=3600)
