"""Real-image features are computed once per (dataset, extractor pre-processing, count) and reused."""

import torch

from duelo.evaluation.reference import reference_features, reference_key, select_reference


class CountingExtractor:
    name, dim = "counting", 3

    def __init__(self, preprocess_id="p1"):
        self.preprocess_id = preprocess_id
        self.calls = 0

    def __call__(self, images):
        self.calls += 1
        return images.flatten(1)[:, :3].float()


def test_features_are_cached_and_keyed(tmp_path, monkeypatch):
    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path))
    images = torch.randint(0, 256, (50, 1, 4, 4), dtype=torch.uint8)
    extractor = CountingExtractor()
    first = reference_features(images, "fp-a", extractor, count=40)
    again = reference_features(images, "fp-a", extractor, count=40)
    assert extractor.calls == 1 and torch.equal(first, again) and first.shape == (40, 3)
    reference_features(images, "fp-b", extractor, count=40)                 # another dataset
    reference_features(images, "fp-a", CountingExtractor("p2"), count=40)  # another pre-processing
    reference_features(images, "fp-a", extractor, count=30)                 # another count
    assert extractor.calls == 3
    assert len({reference_key("fp-a", "p1", 40), reference_key("fp-b", "p1", 40),
                reference_key("fp-a", "p2", 40), reference_key("fp-a", "p1", 30)}) == 4


def test_reference_subset_is_fixed_and_sorted():
    images = torch.arange(100, dtype=torch.uint8).view(100, 1, 1, 1)
    a, b = select_reference(images, 10), select_reference(images, 10)
    assert torch.equal(a, b) and torch.equal(a.flatten(), a.flatten().sort().values)
    assert select_reference(images, 500) is images
