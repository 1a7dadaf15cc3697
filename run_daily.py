"""Double-click me: the sales-admin clerk's daily job (see README.md).

Finds config.yaml next to itself whatever the working directory (Task Scheduler starts in System32).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from neiqin_xl.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
