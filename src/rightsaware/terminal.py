"""Answer an instrument in the terminal (``rightsaware take``): the engine with a text prompt.

It goes through the same :class:`~rightsaware.interview.Interviewer` as every channel, so
replies are parsed, validated and stored exactly as an SMS reply would be.
"""

from __future__ import annotations

import click

from .interview import Interviewer, Turn

CHANNEL = "terminal"


def describe(runtime, turn: Turn) -> list[str]:  # noqa: ANN001
    """The lines to show for a turn: notes, error, question and numbered choices."""
    from .i18n import localize

    response = turn.response
    m = runtime.messages(response.language)
    instrument = runtime.instrument(response.instrument_id)
    text = localize(instrument, m)
    lines: list[str] = []
    for note in turn.notes:
        lines.append(text.label(note))
    if turn.error is not None:
        if turn.error.custom:
            lines.append("! " + text.constraint_message(instrument.question(turn.error.question)))
        else:
            lines.append("! " + turn.error.format(m._))
    question = turn.question
    if question is None:
        return lines
    answered = sum(1 for q in instrument.questions if q.answerable and q.name in response.answers)
    lines.append("")
    lines.append(f"[{answered + 1}] {text.label(question)}")
    hint = text.hint(question)
    if hint:
        lines.append(f"    {hint}")
    for number, choice in enumerate(instrument.choices_for(question), start=1):
        lines.append(f"  {number}) {text.choice_label(question, choice)}")
    if question.kind == "select_multiple":
        lines.append("    " + m._("You can choose more than one: type the numbers, e.g. 1 3"))
    if not question.required:
        lines.append("    " + m._("Optional: type SKIP to leave it out."))
    return lines


def run_terminal_interview(runtime, instrument_id: str, language: str) -> Turn:  # noqa: ANN001
    """Ask every question in the terminal until the response is complete."""
    interviewer = Interviewer(runtime)
    turn = interviewer.start(instrument_id, channel=CHANNEL, language=language)
    m = runtime.messages(language)
    click.echo(m._("Type CYMRAEG, GÀIDHLIG or ENGLISH at any time to change language; BACK goes back."))
    while not turn.completed:
        for line in describe(runtime, turn):
            click.echo(line)
        if turn.question is None:
            break
        reply = click.prompt(">", default="", show_default=False, prompt_suffix=" ")
        turn = interviewer.reply(turn.response.id, reply, channel=CHANNEL)
    m = runtime.messages(turn.response.language)
    for line in describe(runtime, turn):
        click.echo(line)
    if turn.completed:
        click.echo(m._("Thank you. Your answers have been saved (reference {ref}).", ref=turn.response.id[:8]))
    return turn
