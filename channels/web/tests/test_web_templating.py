"""The pages' templates: fixed texts translated at compile time, escaped, and the same pages as before."""

from __future__ import annotations

import jinja2
import pytest

from rightsaware_web.templating import ConstantGettext, make_environment


class Recording:
    """A gettext that records what it was asked, with a translation that contains markup."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, dict]] = []

    def _(self, message: str, /, **params: object) -> str:
        self.asked.append((message, params))
        return f"<{message.format(**params).upper()}>" if params else f"<{message.upper()}> & co"

    gettext = _

    def ngettext(self, singular: str, plural: str, n: int, /, **params: object) -> str:
        return (singular if n == 1 else plural).format(n=n, **params)

    pgettext = npgettext = None


def environment(messages: Recording, source: str) -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.DictLoader({"page.html": source}), autoescape=True,
                             extensions=["jinja2.ext.i18n", ConstantGettext])
    env.install_gettext_callables(gettext=messages._, ngettext=messages.ngettext, newstyle=False)
    env.constant_gettext = messages._
    return env.get_template("page.html")


def test_a_literal_is_translated_once_when_compiled_and_still_escaped():
    messages = Recording()
    template = environment(messages, "<p>{{ _('Continue') }}</p><b title=\"{{ _(\"Back\") }}\"></b>")
    asked = list(messages.asked)
    assert asked == [("Continue", {}), ("Back", {})]
    for _ in range(3):
        html = template.render()
        assert html == '<p>&lt;CONTINUE&gt; &amp; co</p><b title="&lt;BACK&gt; &amp; co"></b>'
    assert messages.asked == asked  # never asked again when rendering


def test_texts_with_placeholders_are_translated_when_rendered():
    messages = Recording()
    template = environment(messages, "{{ _('Question {n}', n=n) }}|{{ _(name) }}|{{ ngettext('{n} left', '{n} left', n) }}")
    assert messages.asked == []
    assert template.render(n=3, name="dynamic") == "&lt;QUESTION 3&gt;|&lt;DYNAMIC&gt; &amp; co|3 left"
    assert ("Question {n}", {"n": 3}) in messages.asked and ("dynamic", {}) in messages.asked


def test_only_the_gettext_alias_is_replaced():
    messages = Recording()
    template = environment(messages, "{{ obj._('x') }}|{{ _('a') ~ _('b') }}|{% if _('c') %}yes{% endif %}")

    class Obj:
        @staticmethod
        def _(value: str) -> str:
            return "method " + value

    assert template.render(obj=Obj()) == "method x|&lt;A&gt; &amp; co&lt;B&gt; &amp; co|yes"
    assert [m for m, _ in messages.asked] == ["a", "b", "c"]


def test_without_a_constant_gettext_templates_translate_when_rendered():
    messages = Recording()
    env = jinja2.Environment(loader=jinja2.DictLoader({"page.html": "{{ _('Continue') }}"}), autoescape=True,
                             extensions=["jinja2.ext.i18n", ConstantGettext])
    env.install_gettext_callables(gettext=messages._, ngettext=messages.ngettext, newstyle=False)
    template = env.get_template("page.html")
    assert messages.asked == []
    assert template.render() == "&lt;CONTINUE&gt; &amp; co"
    assert messages.asked == [("Continue", {})]


@pytest.mark.parametrize("language, expected", [("cy", "Parhau"), ("gd", "Lean air adhart"), ("en", "Continue")])
def test_the_real_templates_show_the_catalogs_translations(web_runtime, language, expected):
    from rightsaware_web.i18n import DOMAIN

    messages = web_runtime.messages(language).domain(DOMAIN)
    assert messages._("Continue") == expected
    env = make_environment(messages)
    html = env.from_string('<button>{{ _("Continue") }}</button>').render()
    assert html == f"<button>{expected}</button>"
