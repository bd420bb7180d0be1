"""Font files used to print the forms and to simulate filling them, found on the system.

The printed form embeds Liberation Sans (metric twin of Arial: the sober look of official forms);
the simulator writes names by hand with two handwriting fonts that have the Swedish letters.
Each comes from a Debian package listed in the Makefile's SYSTEM_PACKAGES.
"""

from __future__ import annotations

from pathlib import Path

_FONTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sans": (
        "fonts-liberation",
        (
            "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
            "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        ),
    ),
    "sans-bold": (
        "fonts-liberation",
        (
            "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
            "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
        ),
    ),
    "dejavu": ("fonts-dejavu-core", ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)),
    "hand-dkg": ("fonts-dkg-handwriting", ("/usr/share/fonts/truetype/fifthhorseman/dkg.ttf",)),
    "hand-breip": ("fonts-breip", ("/usr/share/fonts/truetype/breip/Breip.ttf",)),
}

HANDWRITING_FONTS: tuple[str, ...] = ("hand-dkg", "hand-breip")


class FontMissingError(RuntimeError):
    """A font the forms need is not installed."""


def font_path(key: str) -> Path:
    """The file of a font by key (``sans``, ``sans-bold``, ``dejavu``, ``hand-dkg``, ``hand-breip``)."""
    package, candidates = _FONTS[key]
    for candidate in candidates:
        path = Path(candidate)
        if path.exists():
            return path
    raise FontMissingError(f"font {key!r} not found: install the Debian package {package}")
