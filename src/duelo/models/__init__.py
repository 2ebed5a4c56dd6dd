"""Architecture families. Importing this package registers every family in GENERATORS/DISCRIMINATORS.

Each family lives in one module and registers itself with `@GENERATORS.register(name)` and
`@DISCRIMINATORS.register(name)`; add the import below and the conformance suite tests it.
"""

from duelo.models.base import (
    DISCRIMINATORS,
    GENERATORS,
    Discriminator,
    Generator,
    build_discriminator,
    build_generator,
)
from duelo.models import dcgan, mlp, progan, resnet, stylegan2  # noqa: F401  (imported for registration)

__all__ = [
    "DISCRIMINATORS",
    "GENERATORS",
    "Discriminator",
    "Generator",
    "build_discriminator",
    "build_generator",
]
