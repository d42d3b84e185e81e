"""Makes docs/overview.png: a screenshot of the overview page `./scripts/dev demo` writes.

    ./scripts/dev demo && .venv/bin/python docs/overview_screenshot.py [mlops-demo/report/index.html]

Headless Chromium (the Debian package), offline: the page needs nothing from the network."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("page", type=Path, nargs="?", default=ROOT / "mlops-demo" / "report" / "index.html")
    parser.add_argument("--png", type=Path, default=ROOT / "docs" / "overview.png")
    options = parser.parse_args()
    if not options.page.is_file():
        raise SystemExit(f"{options.page} does not exist: run ./scripts/dev demo first")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is needed for the screenshot (apt-get install chromium)")
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--screenshot={options.png}",
            "--window-size=1400,1250",
            options.page.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    print(f"wrote {options.png}")


if __name__ == "__main__":
    main()
