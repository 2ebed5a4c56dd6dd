"""Architecture families. Importing this package registers every family in GENERATORS/DISCRIMINATORS,
and the image-to-image ones in TRANSLATORS/PATCH_DISCRIMINATORS (duelo.models.translation).

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
from duelo.models.translation import (
    PATCH_DISCRIMINATORS,
    TRANSLATORS,
    PatchDiscriminator,
    Translator,
    build_patch_discriminator,
    build_translator,
)
from duelo.models import dcgan, fastgan, mlp, progan, r3gan, resnet, stylegan2  # noqa: F401  (imported for registration)
from duelo.models import patchgan, resnet_translator, unet  # noqa: F401  (imported for registration)

__all__ = [
    "DISCRIMINATORS",
    "GENERATORS",
    "Discriminator",
    "Generator",
    "PATCH_DISCRIMINATORS",
    "PatchDiscriminator",
    "TRANSLATORS",
    "Translator",
    "build_discriminator",
    "build_generator",
    "build_patch_discriminator",
    "build_translator",
]
