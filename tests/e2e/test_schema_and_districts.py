"""`rongtook districts import` loads any boundary file with the same properties."""

from __future__ import annotations

import json


def test_districts_import_command_loads_any_file_with_the_same_properties(db_url, tmp_path):
    from tests.e2e.test_settings import run_cli

    small = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "1001", "name_th": "พระนคร", "name_en": "Phra Nakhon"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[100.0, 13.0], [101.0, 13.0], [101.0, 14.0], [100.0, 13.0]]],
                },
            }
        ],
    }
    path = tmp_path / "one.geojson"
    path.write_text(json.dumps(small, ensure_ascii=False))
    result = run_cli(
        tmp_path, "districts", "import", str(path), DATABASE_URL=db_url, PHOTO_DIR=str(tmp_path / "p")
    )
    assert result.returncode == 0, result.stderr
    assert "loaded 1 district boundaries" in result.stdout
    bad = run_cli(
        tmp_path,
        "districts",
        "import",
        str(tmp_path / "nope.geojson"),
        DATABASE_URL=db_url,
        PHOTO_DIR=str(tmp_path / "p"),
    )
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
