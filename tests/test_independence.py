"""The core never imports a channel: channels are plugins, found through entry points."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import rightsaware, rightsaware.cli, rightsaware.server, rightsaware.interview, rightsaware.runtime
import rightsaware.flow, rightsaware.loading, rightsaware.store, rightsaware.i18n, rightsaware.testing
from rightsaware.plugins import make_plugin_manager
make_plugin_manager(entrypoints=False)
leaked = sorted(name for name in sys.modules if name.startswith(("rightsaware_sms", "rightsaware_web", "rightsaware_paper")))
print(",".join(leaked))
"""


def test_importing_the_core_imports_no_channel() -> None:
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_core_source_never_names_a_channel_package() -> None:
    from pathlib import Path

    import rightsaware

    root = Path(rightsaware.__file__).parent
    offenders = [
        str(path.relative_to(root)) for path in root.rglob("*.py")
        if any(f"import rightsaware_{name}" in path.read_text(encoding="utf-8") or f"from rightsaware_{name}" in path.read_text(encoding="utf-8")
               for name in ("sms", "web", "paper"))
    ]
    assert offenders == []
