"""Every named dataset of every kind (images, time series, text, music, audio) has a name of its own: `duelo
datasets fetch NAME` and the cache folder datasets/NAME would otherwise mean two things."""

from collections import Counter

from duelo.cli.datasets import _registries


def test_dataset_names_are_unique_across_kinds():
    names = Counter(name for _, registry in _registries() for name in registry.names())
    assert [name for name, count in names.items() if count > 1] == []
    assert {"notes", "drums", "spoken", "words", "chorales", "mnist-5k"} <= set(names)
