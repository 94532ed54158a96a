"""``rightsaware serve`` logs to standard error at the ``log_level`` setting, redacted.

Run in fresh interpreters: pytest puts its own capturing handlers on the root logger.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from rightsaware import logsafety
from rightsaware.errors import ConfigError


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)


def test_serve_logging_follows_the_setting_and_redacts() -> None:
    done = run(
        "import logging\n"
        "from rightsaware import logsafety\n"
        "logsafety.configure('warning')\n"
        "log = logging.getLogger('rightsaware.test')\n"
        "log.warning('reply from %s', '+447700900123')\n"
        "log.info('not shown at WARNING')\n"
        "print(logging.getLogger().level, len(logging.getLogger().handlers))\n"
    )
    assert done.stdout.split() == ["30", "1"]
    assert "[redacted]" in done.stderr and "7700900123" not in done.stderr and "not shown" not in done.stderr


def test_existing_logging_is_kept() -> None:
    done = run(
        "import logging, sys\n"
        "from rightsaware import logsafety\n"
        "logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format='%(message)s')\n"
        "logsafety.configure('ERROR')\n"
        "logging.getLogger('x').debug('call 07700 900123')\n"
        "print(logging.getLogger().level, len(logging.getLogger().handlers))\n"
    )
    assert done.stdout.splitlines() == ["call [redacted]", "10 1"]


def test_an_unknown_level_is_a_clear_error() -> None:
    with pytest.raises(ConfigError) as caught:
        logsafety.configure("LOUD")
    assert "log_level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, not 'LOUD'" in str(caught.value)
