"""The core's own hook implementations, registered as a default plugin.

``render_question`` is ``trylast``: a deployment's plugin may override rendering, and
otherwise the channel renders its own question.
"""

from __future__ import annotations

from .plugins import hookimpl


@hookimpl(trylast=True)
def render_question(question, locale, channel, runtime):
    """Let the channel render the question itself."""
    return channel.render(question, locale, runtime)
