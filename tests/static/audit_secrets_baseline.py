"""Label the unaudited entries of ``.secrets.baseline``: detect-secrets' own audit screen.

``detect-secrets audit`` cannot save a baseline that names a custom plugin (its plugin
map is cached before the baseline is read: Yelp/detect-secrets#611), so run this from
the repository root instead:

    .venv/bin/python -m tests.static.audit_secrets_baseline

The question is "Should this string be committed to the repository?": ``y`` for a false
positive (``is_secret: false``), ``n`` for a real secret, which must then be removed from
the code and rotated, not kept in the baseline.
"""

from __future__ import annotations

import os
from pathlib import Path

from detect_secrets.audit.audit import audit_baseline

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    os.chdir(ROOT)  # the baseline names the plugin relative to the repository root
    audit_baseline(".secrets.baseline")


if __name__ == "__main__":
    main()
