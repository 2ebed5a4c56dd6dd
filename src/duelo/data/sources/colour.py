"""Colour datasets with transparency, fetched once from package registries (duelo.data.sources.packages).

fluent-emoji     Microsoft's Fluent 3D emoji (npm @lobehub/fluent-emoji-3d): 3,391 RGBA images, 256×256 (4 are
                 256×264 with 4 transparent rows at top and bottom: centre-cropped), stored at 128×128. MIT.
emoji-<style>    the emoji-datasource images of one vendor (npm emoji-datasource-<style> 16.0.0), 64×64 RGBA,
                 ~3,650–3,790 each; item names are the emoji codes ("1f600"), and 3,642 codes are in all four
                 styles, so the sets pair by name (unpaired or paired style transfer). Licences differ:
                 Apple's images are not for commercial use, Google's are Apache-2.0, Twitter's CC-BY-4.0, and the
                 package says Facebook's have no clear licensing.
wesnoth          Battle for Wesnoth unit sprites (Debian wesnoth-1.16-data, GPL-2+): the 72×72 ones (animation
                 frames included), labelled by the first folder under units/ — the faction or race
                 (drakes, dwarves, human-loyalists, undead...). Other sizes, the two placeholders directly in
                 units/ and transport/ (4 boats) are left out.
"""

from __future__ import annotations

from duelo.data.sources.packages import PackageImages, register_package_images

EMOJI_DATASOURCE_VERSION = "16.0.0"

register_package_images(PackageImages(
    name="fluent-emoji",
    description="Microsoft Fluent 3D emoji, 3,391 RGBA images (native 256×256, stored 128×128), unlabelled "
                "(npm @lobehub/fluent-emoji-3d)",
    registry="npm", package="@lobehub/fluent-emoji-3d", version="1.1.0", download_mb=15.8,
    licence="MIT",
    members="package/assets/", suffix=".webp", side=256, other_sizes="fit", store_side=128,
))

EMOJI_STYLES = {      # style -> (images in 16.0.0, package MB, what the package says about the images' licence)
    "apple":    (3793, 99.3, "© Apple Inc.; not licensed for commercial use"),
    "google":   (3786, 74.3, "Apache-2.0 (Noto emoji)"),
    "twitter":  (3786, 61.7, "CC-BY-4.0 (Twemoji graphics)"),
    "facebook": (3645, 103.0, "unclear: © Facebook, Inc., \"no clear licensing\" (the package's README)"),
}
for style, (count, megabytes, licence) in EMOJI_STYLES.items():
    register_package_images(PackageImages(
        name=f"emoji-{style}",
        description=f"{style.capitalize()} emoji, {count:,} RGBA images 64×64, unlabelled; item names are emoji "
                    f"codes, shared by the emoji-* sets (npm emoji-datasource-{style})",
        registry="npm", package=f"emoji-datasource-{style}", version=EMOJI_DATASOURCE_VERSION,
        download_mb=megabytes, licence=licence,
        members=f"package/img/{style}/64/", suffix=".png", side=64,
    ))

register_package_images(PackageImages(
    name="wesnoth",
    description="Battle for Wesnoth unit sprites, 4,475 RGBA images 72×72 in 20 classes (faction or race), "
                "animation frames included (Debian wesnoth-1.16-data)",
    registry="apt", package="wesnoth-1.16-data", version=None, download_mb=146.2,
    licence="GPL-2+",
    members="usr/share/games/wesnoth/1.16/data/core/images/units/", suffix=".png", side=72,
    labels="first-folder", skip_folders=("transport",),
))
