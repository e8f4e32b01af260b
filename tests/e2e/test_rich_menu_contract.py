"""Contract tests of the rich-menu calls (bot/rich_menus.py through LineGateway), checked by Prism against
LINE's OpenAPI spec (`messaging-api.yml`): create, upload the image, set the default, link, unlink, delete.

As in test_gateway_contract.py, "the call did not raise" means Prism found the request conforming; a request
that breaks the spec gets 400/422 with `sl-violations`, which the gateway raises as LineCallError.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.line_gateway import LineCallError, LineGateway
from bot.rich_menus import IMAGE_TYPE, draw, menus
from bot.settings import settings_from_env
from tests.e2e.test_gateway_contract import USER_ID, conforms
from tests.prism import PrismServer

pytestmark = pytest.mark.contract


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder: Path = tmp_path_factory.mktemp("menus")
    settings = settings_from_env(
        {"DATABASE_URL": f"sqlite:///{folder}/x.sqlite3", "PHOTO_DIR": str(folder / "p"), "PORT": "8123"}
    )
    return [(menu, draw(menu)) for menu in menus(settings)]


def test_create_each_menu_upload_its_image_and_set_the_default(
    prism: PrismServer, gateway: LineGateway, built
) -> None:  # type: ignore[no-untyped-def]
    for menu, image in built:
        menu_id = conforms(prism, lambda m=menu: gateway.create_rich_menu(m.line_json()))
        assert menu_id
        conforms(prism, lambda i=image, r=menu_id: gateway.upload_rich_menu_image(r, i, IMAGE_TYPE))
    conforms(prism, lambda: gateway.set_default_rich_menu("richmenu-88c05ef6921ae53f8b58a25f3a65faf7"))


def test_link_unlink_and_delete(prism: PrismServer, gateway: LineGateway) -> None:
    menu_id = "richmenu-88c05ef6921ae53f8b58a25f3a65faf7"
    conforms(prism, lambda: gateway.link_rich_menu(USER_ID, menu_id))
    conforms(prism, lambda: gateway.unlink_rich_menu(USER_ID))
    conforms(prism, lambda: gateway.delete_rich_menu(menu_id))


def test_a_menu_breaking_the_spec_is_refused(prism: PrismServer, gateway: LineGateway, built) -> None:  # type: ignore[no-untyped-def]
    """The check has teeth: a chat bar text over LINE's 14 characters is refused by the SDK's model before
    sending, and by Prism when sent anyway (the raw POST the gateway's calls are made of)."""
    menu, _ = built[0]
    body = dict(menu.line_json(), chatBarText="เมนูสำหรับประชาชนทุกคนในเขต")
    with pytest.raises(ValueError, match="chatBarText"):
        gateway.create_rich_menu(body)
    with pytest.raises(LineCallError) as info:
        gateway._send("/v2/bot/richmenu", body)
    assert info.value.status == 422
    assert '"location":["body","chatBarText"]' in info.value.detail  # Prism's problem+json names the field
