"""`/open-data` (both databases): every complaint's public fields as CSV and GeoJSON, nothing personal."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy import update

from models import Complaint
from models.db import transaction
from models.open_data import FIELDS
from tests.citizen_chat import BANGKOK
from tests.public_common import phoned_in as common_phoned_in

PERSONAL = ("สมศรี ใจดี", "0812345678", "somsri@example.com", "บ้านเลขที่ 99")


def phoned_in(services, at: datetime, category: str) -> str:  # type: ignore[no-untyped-def]
    return common_phoned_in(
        services, at, category, "เสียงดังจากบ้านเลขที่ 99 โทร 0812345678", latitude=13.80401, longitude=100.55302
    )


def filed(services) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "light": phoned_in(services, datetime(2026, 11, 2, 9, tzinfo=BANGKOK), "แสงสว่าง"),
        "noise": phoned_in(services, datetime(2026, 12, 1, 0, 5, tzinfo=BANGKOK), "เสียงรบกวน"),
        "formula": phoned_in(
            services, datetime(2026, 12, 4, 23, 55, tzinfo=BANGKOK), '=HYPERLINK("http://x")'
        ),
    }


def rows_of(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the Thai as UTF-8
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_has_every_complaint_and_nothing_personal(client: FlaskClient, services) -> None:  # type: ignore[no-untyped-def]
    codes = filed(services)
    answer = client.get("/open-data/complaints.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    body = answer.get_data()
    rows = rows_of(body)
    assert [r["code"] for r in rows] == [codes["light"], codes["noise"], codes["formula"]]
    assert tuple(rows[0]) == FIELDS
    light, noise, formula = rows
    assert (light["district_code"], light["district_th"], light["channel"]) == ("1030", "จตุจักร", "phone")
    assert light["received_at"] == "2026-11-02T09:00:00+07:00" and light["status"] == "routed"
    assert (light["latitude"], light["longitude"], light["location_precision"]) == (
        "13.80401",
        "100.55302",
        "exact",
    )
    # A noise complaint could point at the reporter's home: its place only to about 500 m.
    assert noise["location_precision"] == "500m"
    assert abs(float(noise["latitude"]) - 13.80401) < 0.0045 and noise["latitude"] != "13.80401"
    assert formula["category"].startswith("'=")  # a spreadsheet shows it, does not run it
    text = body.decode("utf-8-sig")
    for personal in PERSONAL:
        assert personal not in text


def test_times_are_bangkok_to_the_second_and_every_text_column_is_kept_from_formulas(
    client: FlaskClient, services
) -> None:  # type: ignore[no-untyped-def]
    """The database writes the timestamps (models.open_data._bangkok_iso): the same text as Python's
    isoformat in Bangkok time on both databases, a fraction of a second cut off (never rounded up), the
    day after UTC's in the early Bangkok morning; none: an empty cell."""
    codes = filed(services)
    moments = {
        "ack_due_at": datetime(2026, 12, 1, 16, 59, 59, 999_999, tzinfo=UTC),  # 23:59:59.999999 Bangkok
        "acknowledged_at": datetime(2026, 12, 1, 17, 0, 0, 500_000, tzinfo=UTC),  # 00:00:00.5 the next day
        "resolved_at": datetime(2027, 1, 1, 0, 0, 1, tzinfo=UTC),
        "first_progress_at": None,
    }
    with transaction(services.sessions) as session:
        session.execute(
            update(Complaint)
            .where(Complaint.tracking_code == codes["noise"])
            .values(section="-ฝ่ายโยธา", rating=-1, **moments)
        )
    noise = next(r for r in rows_of(client.get("/open-data/complaints.csv").get_data()) if r["section"])
    assert noise["received_at"] == "2026-12-01T00:05:00+07:00"  # 2026-11-30 17:05 UTC
    assert noise["ack_due_at"] == "2026-12-01T23:59:59+07:00"
    assert noise["acknowledged_at"] == "2026-12-02T00:00:00+07:00"
    assert noise["resolved_at"] == "2027-01-01T07:00:01+07:00" and noise["first_progress_at"] == ""
    for name, moment in moments.items():
        assert noise[name] == (moment.astimezone(BANGKOK).isoformat(timespec="seconds") if moment else "")
    # Any text column is kept from running as a formula; a negative number is no formula.
    assert noise["section"] == "'-ฝ่ายโยธา" and noise["rating"] == "-1"


def test_geojson_features_carry_the_same_fields_at_their_points(client: FlaskClient, services) -> None:  # type: ignore[no-untyped-def]
    codes = filed(services)
    answer = client.get("/open-data/complaints.geojson")
    assert answer.status_code == 200 and answer.mimetype == "application/geo+json"
    data = json.loads(answer.get_data(as_text=True))
    assert data["type"] == "FeatureCollection" and data["license"] == "CC BY 4.0"
    light = next(f for f in data["features"] if f["properties"]["code"] == codes["light"])
    assert light["geometry"] == {"type": "Point", "coordinates": [100.55302, 13.80401]}  # longitude first
    assert set(light["properties"]) == set(FIELDS)
    for personal in PERSONAL:
        assert personal not in answer.get_data(as_text=True)


def test_a_period_narrows_it_and_a_bad_one_is_explained(client: FlaskClient, services) -> None:  # type: ignore[no-untyped-def]
    codes = filed(services)
    december = rows_of(client.get("/open-data/complaints.csv?from=2026-12-01&to=2026-12-04").get_data())
    assert [r["code"] for r in december] == [codes["noise"], codes["formula"]]  # Bangkok days, both ends in
    assert (
        rows_of(client.get("/open-data/complaints.csv?to=2026-11-30").get_data())[0]["code"] == codes["light"]
    )
    for query in ("from=2026-13-01", "from=1/12/2026", "to=2569-12-01x", "from=2026-12-05&to=2026-12-01"):
        answer = client.get(f"/open-data/complaints.csv?{query}")
        assert answer.status_code == 400, query
        assert "ปปปป-ดด-วว" in answer.get_data(as_text=True) or "ต้องไม่หลัง" in answer.get_data(as_text=True)
    english = client.get("/open-data/complaints.geojson?from=yesterday&lang=en")
    assert english.status_code == 400 and "YYYY-MM-DD" in english.get_data(as_text=True)


def test_the_page_offers_both_files_with_the_licence_and_every_field(client: FlaskClient) -> None:
    page = client.get("/open-data").get_data(as_text=True)
    assert "ข้อมูลเปิด" in page and "CC BY 4.0" in page
    assert "/open-data/complaints.csv" in page and "/open-data/complaints.geojson" in page
    assert all(name in page for name in FIELDS)
    english = client.get("/open-data?lang=en").get_data(as_text=True)
    assert "Open data" in english and "Tracking code" in english


def test_open311_readers_see_a_noise_complaints_point_only_to_500_m_too(
    client: FlaskClient, services
) -> None:  # type: ignore[no-untyped-def]
    codes = filed(services)
    (noise,) = client.get(f"/open311/v2/requests/{codes['noise']}.json").json
    (light,) = client.get(f"/open311/v2/requests/{codes['light']}.json").json
    assert (light["lat"], light["long"]) == (13.80401, 100.55302)
    assert noise["lat"] != 13.80401 and abs(noise["lat"] - 13.80401) < 0.0045
    assert abs(noise["long"] - 100.55302) < 0.0045
