"""The channel contract: what the core calls on an SMS, web or paper channel object.

Channels are objects registered through the ``register_channels`` hook; the core calls
their methods. This module imports no channel.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from attrs import field, frozen

from .errors import Message, RightsawareError
from .i18n import N_


@frozen(kw_only=True)
class ChannelInfo:
    """What a channel is and can do; ``name`` is stored with every response."""

    name: str
    title: str = ""
    interactive: bool = True  # one question at a time (SMS, web) vs all at once (paper)
    max_text_length: int | None = None
    free_text: bool = True
    locales: tuple[str, ...] = field(default=("en", "cy", "gd"), converter=tuple)


@runtime_checkable
class Channel(Protocol):
    """The methods every channel implements."""

    info: ChannelInfo

    def render(self, question: Any, locale: str, runtime: Any) -> Any:
        """Return a :class:`~rightsaware.events.Rendered` for ``question`` in ``locale``."""

    def deliver(self, invitation: Any, rendered: Any, runtime: Any) -> Any:
        """Send, publish or print; return a :class:`~rightsaware.events.Receipt` (never raise for ordinary failures)."""

    def parse_inbound(self, payload: Any, runtime: Any) -> Any:
        """Verify and decode a raw payload into an :class:`~rightsaware.events.InboundEvent`, or ``None``."""


class ChannelRegistry:
    """The channels known to a runtime, by name."""

    def __init__(self) -> None:
        self._channels: dict[str, Channel] = {}

    def register(self, channel: Channel) -> None:
        name = getattr(getattr(channel, "info", None), "name", None)
        if not name:
            raise RightsawareError(N_("{channel} is not a channel: it has no info.name"), params={"channel": repr(channel)})
        if name in self._channels:
            raise RightsawareError(N_("two plugins register a channel called '{name}'"), params={"name": name})
        self._channels[name] = channel

    def get(self, name: str) -> Channel:
        try:
            return self._channels[name]
        except KeyError:
            # TRANSLATORS: in "(installed: none)": no channel is installed at all
            known = ", ".join(sorted(self._channels)) or Message(N_("none"))
            raise RightsawareError(N_("no channel called '{name}' is installed (installed: {known})"),
                                   params={"name": name, "known": known}) from None

    def __contains__(self, name: object) -> bool:
        return name in self._channels

    def __iter__(self):
        return iter(self._channels.values())

    def names(self) -> list[str]:
        return sorted(self._channels)
