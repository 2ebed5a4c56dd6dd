"""torch.compile smoke with the default (inductor) backend on the CPU, for every registered family.

The conformance suite traces every model with backend="eager" and fullgraph=True (no graph breaks, no host
syncs). This goes one step further where a C++ compiler exists: inductor generates and compiles kernels for G
and D, and their outputs must match the eager ones. Skipped on machines without a compiler.
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


@pytest.mark.parametrize("name", GENERATORS.names())
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
