"""Open311 GeoReport v2 at /open311/v2/: other systems file complaints and follow them (docs/open311.md).

`routes` holds the endpoints; `inputs` reads parameters, `places` finds the district, `media` fetches
and checks photos, `records` shapes complaints as service requests, `render` writes JSON or XML.
"""

from bot.open311.routes import bp

__all__ = ["bp"]
