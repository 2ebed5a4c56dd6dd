"""Named music datasets (MUSIC_SOURCES), listed and fetched by `duelo datasets` beside the image, time-series and
text ones.

    chorales   Bach's four-part chorales from music21's corpus, voices on a sixteenth-note grid (corpus.py)
    folk       the Essen folk-song collection's 4/4 melodies, from the same corpus
    irish      O'Neill's 1850 Irish tunes: the reels and hornpipes (2/2, 4/4), from the same corpus
"""

from __future__ import annotations

from duelo.data.sources.base import ListedSource
from duelo.registry import Registry


MusicSource = ListedSource         # loader() -> chorales.Chorales


MUSIC_SOURCES: Registry[MusicSource] = Registry("music dataset")


def named_sources() -> Registry[MusicSource]:
    """MUSIC_SOURCES with every source registered (on first need: `duelo --help` stays light)."""
    if "chorales" not in MUSIC_SOURCES:
        from duelo.tasks.music import corpus

        for name, description, minutes in (
                ("chorales", "Bach's four-part 4/4 chorales (music21's corpus), four voices on a sixteenth-note "
                 "grid, with their key", 1),
                ("folk", "the Essen folk songs' 4/4 melodies (music21's corpus), one voice on a sixteenth-note "
                 "grid, with their key", 5),
                ("irish", "O'Neill's 1850 Irish tunes' reels and hornpipes (2/2 and 4/4; music21's corpus), one "
                 "voice on a sixteenth-note grid, with their key", 4)):
            MUSIC_SOURCES.add(name, MusicSource(
                name, description, lambda name=name: corpus.load(name=name),
                lambda name=name: corpus.store_path(name).is_file(),
                lambda name=name, minutes=minutes: (f"run `duelo datasets fetch {name}` (needs {corpus.INSTALL}; "
                                                    f"parses once, ~{minutes} min)"),
                lambda force, name=name: corpus.fetch(name, force), None,
                "music21's corpus: public-domain scores (BSD-licensed package)",
                "nothing: the corpus ships with music21"))
    return MUSIC_SOURCES
