"""Regenerate golden_metro.json (run from the project root: python tests/scenario/golden.py)."""

import json
from pathlib import Path

import qrna
from tests.scenario.test_scenario import GOLDEN, _golden_view

if __name__ == "__main__":
    view = _golden_view(qrna.run("metro", seed=1).summary)
    Path(GOLDEN).write_text(json.dumps(view, indent=1) + "\n")
    print(f"wrote {GOLDEN}")
