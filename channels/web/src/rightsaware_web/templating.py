"""The pages' Jinja2 environments: one per language, with fixed texts translated at compile time.

Every page is rendered from an autoescaped template. A template's fixed texts —
``{{ _("Continue") }}``, a literal and nothing else — are the same on every page in one
language, so :class:`ConstantGettext` translates them once, when the template is
compiled, instead of calling gettext on every render: the translation becomes a constant
of the compiled template, escaped there like any other value (a translation can still
never inject markup), and joined with the markup around it into one string. Texts with
placeholders (``_("Question {n} of {total}", n=n, total=total)``) and plurals are
translated when the page is rendered, as before. The templates' source is unchanged, so
message extraction sees every ``_()`` as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import jinja2
from jinja2.ext import Extension
from jinja2.lexer import TOKEN_DOT, TOKEN_LPAREN, TOKEN_NAME, TOKEN_RPAREN, TOKEN_STRING, Token
from rightsaware.i18n import install_jinja

TEMPLATES_DIR = Path(__file__).parent / "templates"


class ConstantGettext(Extension):
    """Replace ``_("literal")`` (one string literal, no placeholders given) by its translation.

    The translation is the environment's ``constant_gettext(literal)``: exactly what the
    ``_`` the template would otherwise call at render time returns for the same literal.
    """

    def __init__(self, environment: jinja2.Environment) -> None:
        super().__init__(environment)
        environment.extend(constant_gettext=None)

    def filter_stream(self, stream: Any) -> Iterable[Token]:
        gettext: Callable[[str], str] | None = self.environment.constant_gettext  # type: ignore[attr-defined]
        if gettext is None:
            return stream
        return _translated(list(stream), gettext)


def _translated(tokens: list[Token], gettext: Callable[[str], str]) -> Iterator[Token]:
    index, count = 0, len(tokens)
    while index < count:
        token = tokens[index]
        if (token.type == TOKEN_NAME and token.value == "_" and index + 3 < count
                and (index == 0 or tokens[index - 1].type != TOKEN_DOT)
                and tokens[index + 1].type == TOKEN_LPAREN
                and tokens[index + 2].type == TOKEN_STRING
                and tokens[index + 3].type == TOKEN_RPAREN):
            yield Token(token.lineno, TOKEN_STRING, gettext(tokens[index + 2].value))
            index += 4
            continue
        yield token
        index += 1


def make_environment(messages: Any) -> jinja2.Environment:
    """The templates' environment for one language (``messages``: the web channel's domain in it)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        auto_reload=False,
        extensions=["jinja2.ext.i18n", ConstantGettext],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    install_jinja(env, messages)
    env.constant_gettext = messages._  # type: ignore[attr-defined]
    return env
