"""`/map` and `/map/data` (both databases): the complaints in the visible box, filtered, clustered above
the limit, noise complaints only to about 500 m, nothing personal, and a 400 with a message for bad input."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, insert, select, text, update
from sqlalchemy.orm import sessionmaker

import models.map_data
from bot.settings import ConfigError
from models import Citizen, Complaint
from models.clock import clock
from models.db import make_engine, transaction
from models.map_data import Box, MapQuery, map_data
from models.open_data import COARSE_GRID_DEG
from tests.citizen_chat import BANGKOK
from tests.conftest import make_settings
from tests.public_common import phoned_in

TODAY = datetime(2026, 12, 7, 9, tzinfo=BANGKOK)
CHATUCHAK = (13.8040, 100.5530)
BANG_RAK = (13.7300, 100.5200)
AROUND_CHATUCHAK = "100.54,13.79,100.57,13.82"
CITY = "100.3,13.5,100.95,14.0"
PERSONAL = ("สมศรี ใจดี", "0812345678", "somsri@example.com", "บ้านเลขที่ 99", "คุณแดง", "U" + "d" * 32)
PUBLIC_FIELDS = {
    "code",
    "lat",
    "lon",
    "precision",
    "status",
    "status_text",
    "category",
    "district",
    "date",
    "url",
}


def located(  # type: ignore[no-untyped-def]
    services,
    at: datetime,
    point: tuple[float, float] | None,
    category: str = "แสงสว่าง",
    district: str = "1030",
    status: str = "routed",
) -> str:
    """A complaint phoned in at `at` (with the reporter's personal data), moved to `district` and `status`."""
    latitude, longitude = point if point else (None, None)
    code = phoned_in(services, at, category, latitude=latitude, longitude=longitude)
    with transaction(services.sessions) as session:
        session.execute(
            update(Complaint)
            .where(Complaint.tracking_code == code)
            .values(district_code=district, status=status)
        )
    return code


def data(client: FlaskClient, query: str = "", status: int = 200) -> dict[str, Any]:
    answer = client.get(f"/map/data?{query}")
    assert answer.status_code == status, (query, answer.get_data(as_text=True))
    assert answer.mimetype == "application/json"
    return answer.get_json()  # type: ignore[no-any-return]


def codes(answer: dict[str, Any]) -> list[str]:
    assert answer["kind"] == "points"
    return [p["code"] for p in answer["points"]]


@pytest.fixture(autouse=True)
def _today() -> None:
    clock.freeze(TODAY)


def test_the_box_holds_only_its_own_complaints_with_their_public_fields(
    client: FlaskClient, services
) -> None:  # type: ignore[no-untyped-def]
    here = located(services, datetime(2026, 12, 1, 9, tzinfo=BANGKOK), CHATUCHAK)
    there = located(services, datetime(2026, 12, 2, 9, tzinfo=BANGKOK), BANG_RAK, district="1004")
    located(services, datetime(2026, 12, 3, 9, tzinfo=BANGKOK), None)  # no place: never on the map

    answer = data(client, f"bbox={AROUND_CHATUCHAK}")
    assert codes(answer) == [here] and answer["total"] == 1
    (point,) = answer["points"]
    assert set(point) == PUBLIC_FIELDS
    assert (point["lat"], point["lon"], point["precision"]) == (13.804, 100.553, "exact")
    assert point["status"] == "routed" and point["status_text"] == "ส่งถึงสำนักงานเขตแล้ว รอรับเรื่อง"
    assert (point["category"], point["district"], point["date"]) == ("แสงสว่าง", "จตุจักร", "1 ธ.ค. 2569")
    assert point["url"] == f"/c/{here}"
    assert answer["from"] == "2026-09-09" and answer["to"] == "2026-12-07"  # 90 days up to today
    assert "1 เรื่อง" in answer["summary"]

    assert codes(data(client, f"bbox={CITY}")) == [here, there]
    assert codes(data(client)) == [here, there]  # no box: everywhere
    assert codes(data(client, "bbox=100.0,13.0,100.1,13.1")) == []
    english = data(client, f"bbox={CITY}&lang=en")["points"][1]
    assert (english["category"], english["district"], english["date"]) == (
        "Street lighting",
        "Bang Rak",
        "2 Dec 2026",
    )
    assert english["status_text"] == "With the district office, waiting to be acknowledged"
    assert english["url"] == f"/c/{there}?lang=en"


def test_filters_by_category_status_district_and_period(client: FlaskClient, services) -> None:  # type: ignore[no-untyped-def]
    light = located(services, datetime(2026, 12, 1, 9, tzinfo=BANGKOK), CHATUCHAK)
    road = located(services, datetime(2026, 11, 20, 9, tzinfo=BANGKOK), (13.8050, 100.5540), "ถนน")
    fixed = located(
        services, datetime(2026, 10, 1, 9, tzinfo=BANGKOK), (13.8060, 100.5550), status="resolved"
    )
    bang_rak = located(services, datetime(2026, 12, 5, 9, tzinfo=BANGKOK), BANG_RAK, district="1004")
    located(services, datetime(2026, 9, 8, 23, tzinfo=BANGKOK), CHATUCHAK)  # 91 days ago: off the map

    assert codes(data(client, f"bbox={CITY}")) == [fixed, road, light, bang_rak]
    assert codes(data(client, f"bbox={CITY}&category=road")) == [road]
    assert codes(data(client, f"bbox={CITY}&status=resolved")) == [fixed]
    assert codes(data(client, f"bbox={CITY}&district=1004")) == [bang_rak]
    assert codes(data(client, f"bbox={CITY}&district=1030&status=routed&category=lighting")) == [light]
    assert codes(data(client, "from=2026-11-20&to=2026-12-01")) == [road, light]  # Bangkok days, both in
    assert codes(data(client, "to=2026-11-30")) == [fixed, road]
    # Before the map's window is nothing to show: the period is narrowed to it, and says so.
    earlier = data(client, "from=2026-01-01")
    assert earlier["from"] == "2026-09-09" and codes(earlier) == [fixed, road, light, bang_rak]
    # The same filters as query parameters of the page select its controls.
    page = client.get("/map?category=road&status=resolved&district=1004&from=2026-11-01").get_data(
        as_text=True
    )
    assert '<option value="road" selected>' in page and '<option value="resolved" selected>' in page
    assert '<option value="1004" selected>' in page and 'name="from" value="2026-11-01"' in page


def test_above_the_limit_the_server_sends_counts_per_cell(
    client: FlaskClient, services, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(models.map_data, "MAX_POINTS", 3)
    near = [(13.8040 + i * 0.0005, 100.5530) for i in range(4)]  # four within a few hundred metres
    made = [located(services, datetime(2026, 12, 1, 9 + i, tzinfo=BANGKOK), p) for i, p in enumerate(near)]
    made.append(located(services, datetime(2026, 12, 2, 9, tzinfo=BANGKOK), BANG_RAK, district="1004"))

    answer = data(client, f"bbox={CITY}")
    assert answer["kind"] == "clusters" and answer["total"] == 5 and "points" not in answer
    cell = answer["cell"]
    assert cell >= COARSE_GRID_DEG and (cell / COARSE_GRID_DEG).is_integer()  # the coarse grid, doubled
    assert (0.65 / cell) <= models.map_data.CELLS_ACROSS  # about 40 cells across the box at most
    assert sorted(k["count"] for k in answer["clusters"]) == [1, 4]
    for k in answer["clusters"]:
        assert set(k) == {"lat", "lon", "count"}
        # At the cell's middle, never at the complaints' own points.
        assert abs((k["lat"] / cell) % 1 - 0.5) < 1e-6 and abs((k["lon"] / cell) % 1 - 0.5) < 1e-6
    body = client.get(f"/map/data?bbox={CITY}").get_data(as_text=True)
    assert not any(code in body for code in made)
    assert "เป็นกลุ่ม" in answer["summary"]
    # Fewer in the box (or after a filter): the points themselves again.
    assert codes(data(client, f"bbox={CITY}&district=1004")) == [made[4]]
    assert data(client)["kind"] == "clusters"  # everywhere: cells of a world-sized box
    assert data(client, "bbox=100.55,13.80,100.56,13.81")["kind"] == "clusters"  # four in a small box


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("bbox=100.5,13.7,100.6", "bad_bbox"),
        ("bbox=a,b,c,d", "bad_bbox"),
        ("bbox=100.6,13.7,100.5,13.8", "bad_bbox"),  # west of its east edge
        ("bbox=100.5,13.9,100.6,13.8", "bad_bbox"),
        ("bbox=nan,13.7,100.6,13.8", "bad_bbox"),
        ("bbox=1e400,13.7,100.6,13.8", "bad_bbox"),
        ("bbox=100.5,13.7,200,13.8", "bad_bbox"),
        ("bbox=100.5,-91,100.6,13.8", "bad_bbox"),
        ("bbox=" + "9" * 300, "bad_bbox"),
        ("from=2026-13-01", "bad_date"),
        ("to=1/12/2026", "bad_date"),
        ("from=yesterday", "bad_date"),
        ("from=2026-12-05&to=2026-12-01", "bad_period"),
        ("category=nothing", "bad_category"),
        ("category=<script>", "bad_category"),
        ("status=open", "bad_status"),
        ("district=9999", "bad_district"),
        ("district=10%0030", "bad_district"),
        ("category=road%00", "bad_category"),
        ("status=resolved%00", "bad_status"),
    ],
)
def test_bad_input_is_a_400_with_a_message(client: FlaskClient, query: str, error: str) -> None:
    answer = data(client, query, status=400)
    assert answer["error"] == error and answer["message"]
    assert "ค่ะ" in answer["message"] or "ต้องไม่หลัง" in answer["message"] or "ปปปป" in answer["message"]
    assert not re.search("[ก-๙]", data(client, f"{query}&lang=en", status=400)["message"])  # in English
    page = client.get(f"/map?{query}")
    assert page.status_code == 400 and 'data-testid="map-error"' in page.get_data(as_text=True)
    assert "&lt;script&gt;" in page.get_data(as_text=True) or "<script>" not in query


def test_a_noise_complaint_is_placed_and_found_only_to_500_m(client: FlaskClient, services) -> None:  # type: ignore[no-untyped-def]
    exact = (13.80401, 100.55302)
    noise = located(services, datetime(2026, 12, 1, 9, tzinfo=BANGKOK), exact, "เสียงรบกวน")
    light = located(services, datetime(2026, 12, 1, 10, tzinfo=BANGKOK), exact)
    middle = (
        (int(exact[0] // COARSE_GRID_DEG) + 0.5) * COARSE_GRID_DEG,
        (int(exact[1] // COARSE_GRID_DEG) + 0.5) * COARSE_GRID_DEG,
    )
    by_code = {p["code"]: p for p in data(client, f"bbox={AROUND_CHATUCHAK}")["points"]}
    assert (by_code[light]["lat"], by_code[light]["lon"], by_code[light]["precision"]) == (*exact, "exact")
    rough = by_code[noise]
    assert rough["precision"] == "500m" and (rough["lat"], rough["lon"]) != exact
    assert abs(rough["lat"] - middle[0]) < 1e-5 and abs(rough["lon"] - middle[1]) < 1e-5
    # A tiny box around the exact point finds the street light but not the noise (its published place is
    # not in it): shrinking boxes cannot find the point the map hides.
    tiny = f"{exact[1] - 0.0001},{exact[0] - 0.0001},{exact[1] + 0.0001},{exact[0] + 0.0001}"
    assert codes(data(client, f"bbox={tiny}")) == [light]
    around_middle = f"{middle[1] - 0.0001},{middle[0] - 0.0001},{middle[1] + 0.0001},{middle[0] + 0.0001}"
    assert codes(data(client, f"bbox={around_middle}")) == [noise]
    assert codes(data(client, f"bbox={around_middle}&category=noise")) == [noise]
    assert codes(data(client, f"bbox={tiny}&category=noise")) == []


def test_nothing_personal_reaches_the_map(client: FlaskClient, services) -> None:  # type: ignore[no-untyped-def]
    phoned = located(services, datetime(2026, 12, 1, 9, tzinfo=BANGKOK), CHATUCHAK)
    on_line = located(services, datetime(2026, 12, 1, 10, tzinfo=BANGKOK), BANG_RAK, district="1004")
    with transaction(services.sessions) as session:
        person = Citizen(
            line_user_id="U" + "d" * 32, display_name="คุณแดง", created_at=TODAY, updated_at=TODAY
        )
        session.add(person)
        session.flush()
        session.execute(
            update(Complaint).where(Complaint.tracking_code == on_line).values(citizen_id=person.id)
        )
        ids = [str(i) for i in session.scalars(select(Complaint.id))]
    body = client.get(f"/map/data?bbox={CITY}").get_data(as_text=True)
    assert phoned in body and on_line in body
    for personal in PERSONAL:
        assert personal not in body
    assert "ไฟดับ" not in body  # not the reporter's own words either
    for point in json.loads(body)["points"]:
        assert set(point) == PUBLIC_FIELDS and str(point["code"]) not in ids


def test_the_page_is_linked_from_home_and_serves_its_map_scripts(client: FlaskClient) -> None:
    assert 'href="/map?lang=th"' in client.get("/").get_data(as_text=True)
    page = client.get("/map").get_data(as_text=True)
    assert "แผนที่เรื่องร้องเรียน" in page and "90 วันล่าสุด" in page
    assert 'data-data="/map/data"' in page and 'data-tiles=""' in page  # no tile server set: no tiles
    for name in ("category", "status", "district"):
        assert f'<select name="{name}">' in page
    assert 'name="from" value="2026-09-09" min="2026-09-09" max="2026-12-07"' in page
    for path in (
        "/map/leaflet/leaflet.js",
        "/map/leaflet/leaflet.css",
        "/map/markercluster/leaflet.markercluster.js",
        "/map/markercluster/MarkerCluster.Default.css",
    ):
        assert client.get(path).status_code == 200, path
    assert client.get("/map/leaflet/../../../../etc/passwd").status_code == 404
    boundaries = client.get("/map/districts.geojson")
    assert boundaries.mimetype == "application/geo+json"
    assert len(boundaries.get_json()["features"]) == 50
    assert "Map of complaints" in client.get("/map?lang=en").get_data(as_text=True)


def test_the_days_of_the_map_are_a_setting(db_url: str, tmp_path: Path) -> None:
    assert make_settings(db_url, tmp_path).public_map_days == 90
    assert make_settings(db_url, tmp_path, PUBLIC_MAP_DAYS="30").public_map_days == 30
    for bad in ("0", "-5", "ninety", "99999"):
        with pytest.raises(ConfigError, match="PUBLIC_MAP_DAYS"):
            make_settings(db_url, tmp_path, PUBLIC_MAP_DAYS=bad)


NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_a_box_is_read_through_the_index_of_places(db_url: str) -> None:
    """The map's query reads a range of ix_complaints_latitude_longitude (migration 0016), not the table
    nor the whole period; the clusters' GROUP BY too."""
    engine = make_engine(db_url)
    try:
        rows = [
            {
                "tracking_code": f"69-M{i:06d}",
                "channel": "line",
                "district_code": f"10{i % 50 + 1:02d}",
                "category": "ถนน" if i % 2 else "เสียงรบกวน",
                "description": "",
                "latitude": 13.5 + (i * 7919 % 5000) / 10000,
                "longitude": 100.3 + (i * 104729 % 6500) / 10000,
                "status": "routed",
                "created_at": NOW - timedelta(minutes=26 * i),  # back a year
                "reopen_count": 0,
            }
            for i in range(20_000)
        ]
        with engine.begin() as conn:
            conn.execute(insert(Complaint.__table__), rows)
            conn.execute(text("ANALYZE complaints" if engine.dialect.name == "postgresql" else "ANALYZE"))
        captured: list[tuple[str, Any]] = []

        @event.listens_for(engine, "before_cursor_execute")
        def _keep(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            if "FROM complaints" in statement:
                captured.append((statement, parameters))

        one_district = Box(100.54, 13.79, 100.57, 13.82)
        query = MapQuery(since=NOW - timedelta(days=90), until=NOW, box=one_district)
        with transaction(sessionmaker(engine)) as session:
            found = map_data(session, query, frozenset({"เสียงรบกวน"}))
            assert found.points is not None and 0 < len(found.points) < 200
            original = models.map_data.MAX_POINTS
            models.map_data.MAX_POINTS = 1
            try:
                assert map_data(session, query, frozenset({"เสียงรบกวน"})).clusters
            finally:
                models.map_data.MAX_POINTS = original
        event.remove(engine, "before_cursor_execute", _keep)
        # The counts per cell, then the points (few enough); the counts again, which are the answer (too
        # many): never the rows of a box that is answered with clusters.
        assert len(captured) == 3 and all("count(*)" in s for s, _ in (captured[0], captured[2]))
        assert "tracking_code" in captured[1][0] and "tracking_code" not in captured[2][0]
        for statement, parameters in captured:
            with engine.connect() as conn:
                if engine.dialect.name == "postgresql":
                    plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {statement}", parameters))
                else:
                    explained = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                    plan = "\n".join(str(r[-1]) for r in explained)
            assert "ix_complaints_latitude_longitude" in plan, plan
            assert "Seq Scan" not in plan and "SCAN complaints\n" not in plan + "\n", plan
    finally:
        engine.dispose()
