"""``lookup_tps``: find polling stations by place name or by a shared location.

Example::

    - id: lookup
      action: lookup_tps
      with: {place: "{village}"}   # a village/district name, or geo:LAT,LON from a location
      save_as: stations
      on_failure: not_found

The result lists the stations of the village (by name) or the nearest three (by location)
with their address, distance and an OpenStreetMap link. Fails when nothing is found.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge import PollingStation

if TYPE_CHECKING:
    from ..run import Run

ARGS = frozenset({"place"})
REQUIRED = ARGS
MAX_LISTED = 5


def execute(args: dict[str, str], run: "Run") -> str | None:
    tps = run.context.tps
    place = args["place"].strip()
    if tps is None or not place:
        return None
    if place.startswith("geo:"):
        try:
            latitude, longitude = (float(part) for part in place[4:].split(","))
        except ValueError:
            return None
        nearby = tps.nearest(latitude, longitude, k=3)
        return "\n\n".join(_describe(n.station, run, n.km) for n in nearby) or None
    stations = tps.by_place(place)[:MAX_LISTED]
    return "\n\n".join(_describe(s, run) for s in stations) or None


def _describe(station: PollingStation, run: "Run", km: float | None = None) -> str:
    village = "Kel./Desa" if run.language == "id" else "Village"
    distance = ""
    if km is not None:
        distance = f" — {km:.1f} km".replace(".", ",") if run.language == "id" else f" — {km:.1f} km"
    return (
        f"TPS {station.number:03d}, {village} {station.village}, Kec. {station.district}{distance}\n"
        f"{station.address}\n{station.map_link}"
    )
