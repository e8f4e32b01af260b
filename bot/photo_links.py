"""`/media/photos/<id>/<token>`: a complaint photo for LINE to show in a card, or for the public.

LINE's servers fetch card images by URL, without cookies, so the link itself is the key: the
token is an HMAC of the photo id under SECRET_KEY and cannot be guessed from the id. A card's token
(LINE messages to the district's officers and the complainant) always serves the photo; a public token
(Open311's `media_url`, public pages) serves it only while the public may see it: not once staff hid it,
nor for a complaint whose reporter asked that it not be public. Then it is 404, as for no photo at all.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app
from flask.typing import ResponseReturnValue

from admin.views import send_photo
from bot.services import Services
from handlers.signing import PUBLIC, valid_photo_token
from models import Photo
from models.db import transaction
from models.public_hiding import photo_is_public

bp = Blueprint("photo_links", __name__)
PUBLIC_MAX_AGE = 300  # a browser's copy of a public photo outlives its hiding by at most this


@bp.get("/media/photos/<int:photo_id>/<token>")
def photo(photo_id: int, token: str) -> ResponseReturnValue:
    services: Services = current_app.extensions["rongtook"]
    key = services.settings.secret_key.encode()
    card = valid_photo_token(key, photo_id, token)
    if not card and not valid_photo_token(key, photo_id, token, PUBLIC):
        abort(404)
    with transaction(services.sessions) as session:
        row = session.get(Photo, photo_id)
        if row is None or (not card and not photo_is_public(session, row)):
            abort(404)
        return send_photo(services, row, max_age=3600 if card else PUBLIC_MAX_AGE)
