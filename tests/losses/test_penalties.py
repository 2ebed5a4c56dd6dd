"""zero_centred_penalty (Mescheder et al. 2018, R1/R2): golden values and where its gradient goes."""

import pytest
import torch

from duelo.losses.penalties import zero_centred_penalty


def test_linear_critic_gives_squared_weight_norm_for_every_sample():
    # D(x) = <w, x> has gradient w everywhere: ‖w‖² = 1 + 4 + 4 + 0.25 = 9.25 whatever x is
    w = torch.tensor([[[1.0, -2.0], [2.0, 0.5]]])                       # (1, 2, 2)
    images = torch.randn(5, 1, 2, 2)
    penalty = zero_centred_penalty(lambda x: (x * w).flatten(1).sum(1), images)
    torch.testing.assert_close(penalty, torch.full((5,), 9.25))


def test_quadratic_critic_gives_four_times_squared_input_norm():
    # D(x) = Σ x² has gradient 2x, so ‖∇D‖² = 4‖x‖²:
    # (1, 2, 0, -1) -> 4·6 = 24; zeros -> 0; all 0.5 -> 4·1 = 4
    images = torch.tensor([[1.0, 2.0, 0.0, -1.0], [0.0] * 4, [0.5] * 4]).view(3, 1, 2, 2)
    penalty = zero_centred_penalty(lambda x: x.square().flatten(1).sum(1), images)
    torch.testing.assert_close(penalty, torch.tensor([24.0, 0.0, 4.0]))
    random = torch.randn(4, 3, 5, 5, dtype=torch.float64)
    torch.testing.assert_close(zero_centred_penalty(lambda x: x.square().flatten(1).sum(1), random),
                               4 * random.flatten(1).square().sum(1))


def test_penalty_is_per_sample_for_a_nonlinear_critic():
    # D(x) = Σ x³ / 3 has gradient x², so ‖∇D‖² = Σ x⁴: (1, 2) -> 17, (-1, 3) -> 82
    images = torch.tensor([[1.0, 2.0], [-1.0, 3.0]])
    penalty = zero_centred_penalty(lambda x: (x**3 / 3).sum(1), images)
    torch.testing.assert_close(penalty, torch.tensor([17.0, 82.0]))


def test_penalty_trains_the_critic_but_not_the_generator():
    critic = torch.nn.Linear(4, 1)
    scale = torch.tensor(2.0, requires_grad=True)                       # stands in for G's weights
    images = scale * torch.randn(3, 4)
    penalty = zero_centred_penalty(lambda x: critic(x).squeeze(1), images)
    assert images.requires_grad and penalty.requires_grad
    penalty.mean().backward()
    # the penalty is ‖W‖² per sample, so d/dW = 2W; the bias does not enter ∇ₓD: no gradient
    torch.testing.assert_close(critic.weight.grad, 2 * critic.weight.detach())
    assert critic.bias.grad is None
    assert scale.grad is None


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_shape_and_dtype(dtype):
    images = torch.randn(6, 3, 4, 4, dtype=dtype)
    penalty = zero_centred_penalty(lambda x: x.flatten(1).sin().sum(1), images)
    assert penalty.shape == (6,) and penalty.dtype == dtype
    torch.testing.assert_close(penalty, images.flatten(1).cos().square().sum(1))


def test_path_lengths_of_a_linear_synthesis_are_the_projected_noise_norms():
    import torch

    from duelo.losses.penalties import path_lengths

    torch.manual_seed(0)
    n, num_ws, w_dim, h = 3, 2, 5, 4
    M = torch.randn(w_dim, h * h)
    synthesis = lambda ws: (ws.sum(dim=1) @ M).view(-1, 1, h, h)              # noqa: E731
    ws = torch.randn(n, num_ws, w_dim, requires_grad=True)
    lengths = path_lengths(synthesis, ws, generator=torch.Generator().manual_seed(5))
    y = torch.randn((n, 1, h, h), generator=torch.Generator().manual_seed(5)) / h   # the same draw, / sqrt(H*W)
    expected = (y.view(n, -1) @ M.T).norm(dim=1)          # every broadcast w gets the same gradient
    torch.testing.assert_close(lengths, expected)
