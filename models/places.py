"""Districts: the units complaints are routed to."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class District(Base):
    __tablename__ = "districts"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)  # DOPA code, "1001".."1050"
    name_th: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    # GeoJSON geometry (WGS84 lon/lat) as text; None when no boundary file was loaded. Hundreds of kB
    # for all 50: read only when asked for, not each time a district's name is shown.
    boundary: Mapped[str | None] = mapped_column(Text, default=None, deferred=True)
