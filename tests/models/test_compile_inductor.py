"""torch.compile smoke with the default (inductor) backend on the CPU, for the families with operations of their own.

The conformance suite traces every registered model with backend="eager" and fullgraph=True (no graph breaks, no
host syncs). This goes one step further where a C++ compiler exists: inductor generates and compiles kernels for G
and D, and their outputs must match the eager ones. Skipped on machines without a compiler.

Inductor compiles a C++ kernel per fused group, 20-35 s a family on a 2-core machine with a cold cache, so this
runs for the families whose layers are more than convolutions, linear layers and norms: StyleGAN2 (modulated,
grouped convolutions; FIR resampling), FastGAN (skip-layer excitation, GLU) and R3GAN (grouped residual blocks,
[1, 2, 1] resampling written by hand). The plain families (mlp, dcgan, resnet, progan) rely on the conformance
suite's trace (one graph, no host syncs); their layers are the ones inductor lowers for every model.
"""

from __future__ import annotations

import shutil

import pytest
import torch

from duelo.models import GENERATORS
from tests.models.test_conformance import make_discriminator, make_generator

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None,
                                 reason="inductor needs a C++ compiler on the CPU")]


OWN_OPERATIONS = ("stylegan2", "fastgan", "r3gan")


def test_the_families_compiled_here_are_registered():
    assert set(OWN_OPERATIONS) <= set(GENERATORS.names())


@pytest.mark.parametrize("name", OWN_OPERATIONS)
def test_inductor_compiled_models_match_eager(name):
    torch._dynamo.reset()
    G = make_generator(name, c_dim=10, channels=3).eval()
    D = make_discriminator(name, c_dim=10, channels=3).eval()
    rng = torch.Generator().manual_seed(0)
    z = G.sample_latents(4, generator=rng)
    labels = torch.randint(0, 10, (4,), generator=rng)
    with torch.no_grad():
        images = G(z, labels)
        logits = D(images, labels)
        compiled_images = torch.compile(G, fullgraph=True)(z, labels)
        compiled_logits = torch.compile(D, fullgraph=True)(compiled_images, labels)
    torch.testing.assert_close(compiled_images, images, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(compiled_logits, logits, atol=1e-4, rtol=1e-3)
