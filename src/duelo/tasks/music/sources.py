"""Named music datasets (MUSIC_SOURCES), listed and fetched by `duelo datasets` beside the image, time-series and
text ones.

    chorales   Bach's four-part chorales from music21's corpus, voices on a sixteenth-note grid (chorales.py)
"""

from __future__ import annotations

from duelo.data.sources.base import ListedSource
from duelo.registry import Registry


MusicSource = ListedSource         # loader() -> chorales.Chorales


MUSIC_SOURCES: Registry[MusicSource] = Registry("music dataset")


def named_sources() -> Registry[MusicSource]:
    """MUSIC_SOURCES with every source registered (on first need: `duelo --help` stays light)."""
    if "chorales" not in MUSIC_SOURCES:
        from duelo.tasks.music import chorales

        MUSIC_SOURCES.add("chorales", MusicSource(
            "chorales", "Bach's four-part 4/4 chorales (music21's corpus), four voices on a sixteenth-note grid, "
            "with their key", chorales.load, lambda: chorales.store_path().is_file(),
            lambda: f"run `duelo datasets fetch chorales` (needs {chorales.INSTALL}; parses once, ~2 min)",
            chorales.fetch, None, "music21's corpus: public-domain scores (BSD-licensed package)",
            "nothing: the corpus ships with music21"))
    return MUSIC_SOURCES
