"""Keyboard helpers for Pilot tests: everything goes through key presses."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input, Select, Switch

from tests.tui.waiting import wait_for
from wizard.tui.widgets.answer_field import AnswerField, field_id

#: pilot.press names for characters that are not their own key name
_KEY_NAMES = {
    " ": "space",
    "-": "minus",
    ".": "full_stop",
    "/": "slash",
    "_": "underscore",
    "=": "equals_sign",
    ",": "comma",
    "@": "at",
    ":": "colon",
    "?": "question_mark",
    "+": "plus",
}


def keys_for(text: str) -> list[str]:
    return [_KEY_NAMES.get(char, char) for char in text]


def field(pilot: Pilot, key: str) -> AnswerField:
    return pilot.app.screen.query_one(f"#{field_id(key)}", AnswerField)


async def tab_to(pilot: Pilot, key: str, *, limit: int = 40) -> AnswerField:
    """Press Tab until the field's control has focus (as a user would)."""
    target = field(pilot, key)
    for _ in range(limit):
        if pilot.app.focused is target.control:
            return target
        await pilot.press("tab")
    raise AssertionError(f"Tab never reached {key}; focus is on {pilot.app.focused!r}")


async def focus(pilot: Pilot, key: str, *, by_tab: bool = False) -> AnswerField:
    """Put the focus on a field: with Tab presses, or directly (keeps long flows fast; the
    Tab order itself has its own test)."""
    if by_tab:
        return await tab_to(pilot, key)
    target = field(pilot, key)
    target.focus_control()
    await wait_for(pilot, lambda: pilot.app.focused is target.control, what=f"focus on {key}")
    return target


async def retype(pilot: Pilot, key: str, text: str, *, by_tab: bool = False) -> AnswerField:
    """Go to a text field, clear it (Ctrl+A, Ctrl+K) and type `text`."""
    target = await focus(pilot, key, by_tab=by_tab)
    assert isinstance(target.control, Input), f"{key} is not a text field"
    await pilot.press("ctrl+a", "ctrl+k", *keys_for(text))
    await wait_for(pilot, lambda: target.text == text, what=f"{key} to read {text!r}")
    return target


async def pick(pilot: Pilot, key: str, choice: str, *, by_tab: bool = False) -> AnswerField:
    """Go to a Select and choose `choice` with the arrow keys and Enter."""
    target = await focus(pilot, key, by_tab=by_tab)
    select = target.control
    assert isinstance(select, Select), f"{key} is not a choice"
    choices = list(target.question.choices)
    await pilot.press("enter")
    steps = choices.index(choice) - choices.index(str(select.value))
    await pilot.press(*(["down"] * steps if steps >= 0 else ["up"] * -steps), "enter")
    await wait_for(pilot, lambda: target.text == choice, what=f"{key} to be {choice}")
    return target


async def switch(pilot: Pilot, key: str, on: bool, *, by_tab: bool = False) -> AnswerField:
    """Go to a Switch and toggle it with Space if needed."""
    target = await focus(pilot, key, by_tab=by_tab)
    assert isinstance(target.control, Switch), f"{key} is not a yes/no"
    if target.control.value != on:
        await pilot.press("space")
    await wait_for(pilot, lambda: target.control.value == on, what=f"{key} to be {on}")
    return target
