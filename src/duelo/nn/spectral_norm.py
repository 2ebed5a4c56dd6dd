"""Spectral normalisation of every weight matrix in a network (Miyato, Kataoka, Koyama & Yoshida 2018,
"Spectral Normalization for Generative Adversarial Networks").

Each wrapped weight W is used as W / sigma(W), where sigma(W) is its largest singular value, so every
linear map of the network is 1-Lipschitz in the L2 norm and the discriminator as a whole is Lipschitz
(section 2.1, eq. 8). sigma is estimated by power iteration (Appendix A, Algorithm 1): the vectors u, v
are buffers, refined `n_power_iterations` times per forward pass in train mode and frozen in eval mode.

Convolution weights are flattened to a matrix with the output channels as rows, as in the paper; for
transposed convolutions, whose weight is stored (in, out, k, k), torch's `dim` default of 1 picks the
output channels, so no argument is needed here.

The wrapped weight lives at `<layer>.parametrizations.weight.original` (plus buffers `_u`, `_v`), so a
state_dict saved after wrapping loads only into a model wrapped the same way.
"""

from __future__ import annotations

from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm

from duelo.errors import ConfigError

# Layers whose `weight` is a linear map; ConvTranspose2d gets dim=1 from torch (its outputs are dim 1).
SPECTRAL_NORM_LAYERS: tuple[type[nn.Module], ...] = (
    nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.Embedding,
)


def apply_spectral_norm(
    module:             nn.Module,          # network whose layers are wrapped in place (usually D)
    n_power_iterations: int         = 1,    # power-iteration steps per train-mode forward (paper: 1)
) -> int:
    """Wrap the `weight` of every Linear, Conv1d/2d/3d, ConvTranspose2d and Embedding layer inside
    `module` with spectral normalisation (Miyato et al. 2018, eq. 8: W_SN = W / sigma(W)).

    Layers that already carry a parametrisation of `weight` are skipped, so calling this twice is safe
    once something was wrapped. Returns the number of layers wrapped by this call. Apply it after the
    weight initialisation: the estimate of sigma starts from the initialised weights.
    """
    count = n_power_iterations
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ConfigError(f"apply_spectral_norm: n_power_iterations must be an integer >= 1 "
                          f"(got {n_power_iterations!r}); the paper uses 1 per training step")
    targets = [layer for layer in module.modules() if isinstance(layer, SPECTRAL_NORM_LAYERS)
               and not parametrize.is_parametrized(layer, "weight")]
    if not targets:
        kinds = ", ".join(cls.__name__ for cls in SPECTRAL_NORM_LAYERS)
        raise ConfigError(f"apply_spectral_norm: {type(module).__name__} has no unwrapped layer to "
                          f"normalise (looked for {kinds}; layers already spectrally normalised are skipped)")
    for layer in targets:
        spectral_norm(layer, "weight", n_power_iterations=n_power_iterations)
    return len(targets)
