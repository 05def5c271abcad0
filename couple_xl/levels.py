"""How much a summary or export shows. Defined once; the CLI builds its choices from it."""

from __future__ import annotations

PARTNER = "partner"  # everything, partner by partner
PARTNERSHIP = "partnership"  # totals only, to share more widely
LEVELS = (PARTNER, PARTNERSHIP)
