"""One form field generated from a `Question`: label, control, help and error line.

The control follows the question's kind: an `Input` for text, numbers and KEY=VALUE maps, a
`Select` for choices, a `Switch` for yes/no. What the field holds is always *text* in the form the
Answers model's `from_text` / `to_text` use, so the wizard and the answers file agree.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.validation import ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Input, Select, Static, Switch

from wizard.core.answers import Problem, Question, from_text

ORIGIN_BADGES: dict[str, str] = {
    "file": "from your answers file",
    "saved": "saved earlier",
    "discovered": "found in your account",
}


def field_id(key: str) -> str:
    """A DOM id for the field of a dotted answers key (`source.branch` -> `field-source-branch`,
    `environments[1].tag_value` -> `field-environments-1-tag_value`)."""
    return "field-" + key.replace("[", "-").replace("]", "").replace(".", "-")


def describe(problem: Problem) -> str:
    return f"{problem.message} — {problem.fix}" if problem.fix else problem.message


class AnswerValidator(Validator):
    """Live validation: exactly the Answers model's check for this question."""

    def __init__(self, question: Question) -> None:
        super().__init__()
        self.question = question

    def validate(self, value: str) -> ValidationResult:
        _, problem = from_text(self.question, value)
        if problem is None:
            return self.success()
        return self.failure(describe(problem))


class AnswerInput(Input):
    """An Input where `?` shows the help (no answer can contain a `?`)."""

    BINDINGS: ClassVar = [
        Binding("question_mark", "toggle_help", "Help", show=False, priority=True),
    ]

    def action_toggle_help(self) -> None:
        field = next((a for a in self.ancestors if isinstance(a, AnswerField)), None)
        if field is not None:
            field.toggle_help()


class AnswerField(Vertical):
    """Label, control, help (hidden until `?`/F1) and the field's error."""

    DEFAULT_CSS = """
    AnswerField {
        height: auto;
        margin: 0 0 1 0;
    }

    AnswerField .field-row {
        height: auto;
    }

    AnswerField .field-head {
        width: 24;
        height: auto;
        padding: 1 1 0 0;
    }

    AnswerField .field-label {
        text-style: bold;
    }

    AnswerField .field-body {
        width: 1fr;
        height: auto;
    }

    AnswerField .origin {
        color: $text-muted;
        text-style: italic;
    }

    AnswerField Select, AnswerField Input {
        width: 1fr;
    }

    AnswerField Switch {
        margin: 0 0 0 0;
    }

    AnswerField .field-help {
        display: none;
        color: $text-muted;
        padding: 0 1;
        margin: 0 0 0 1;
        border-left: outer $secondary;
    }

    AnswerField.-show-help .field-help {
        display: block;
    }

    AnswerField .field-error {
        display: none;
        color: $error;
        padding: 0 1;
    }

    AnswerField.-invalid .field-error {
        display: block;
    }

    AnswerField.-invalid Input {
        border: tall $error;
    }

    AnswerField.-invalid Input:focus {
        border: tall $error;
    }

    AnswerField.-invalid .field-head {
        color: $error;
    }

    AnswerField .switch-row {
        height: auto;
    }

    AnswerField .switch-state {
        width: auto;
        padding: 1 1 0 1;
        color: $text-muted;
    }
    """

    class Edited(Message):
        """The text of a field changed (typed, picked or set)."""

        def __init__(self, field: AnswerField, key: str, text: str) -> None:
            super().__init__()
            self.field = field
            self.key = key
            self.text = text

    class Submitted(Message):
        """Enter was pressed in the field's input."""

        def __init__(self, field: AnswerField) -> None:
            super().__init__()
            self.field = field

    def __init__(self, question: Question, text: str, origin: str = "default") -> None:
        super().__init__(id=field_id(question.key), classes=f"kind-{question.kind}")
        self.question = question
        self.initial_text = text
        self.origin = origin
        self._control: Widget | None = None
        self._shown_problem = ""

    @property
    def key(self) -> str:
        return self.question.key

    # --- composition --------------------------------------------------------------------------

    def _make_control(self) -> Widget:
        q = self.question
        if q.kind == "choice":
            return Select(
                [(choice, choice) for choice in q.choices],
                value=self.initial_text if self.initial_text in q.choices else q.choices[0],
                allow_blank=False,
                classes="control",
            )
        if q.kind == "bool":
            return Switch(value=self.initial_text == "yes", classes="control")
        placeholder = q.example or ""
        if q.nullable:
            placeholder = "leave empty for none"
        if q.kind == "map":
            placeholder = "Key=value, Other=value"
        return AnswerInput(
            value=self.initial_text,
            placeholder=placeholder,
            validators=[AnswerValidator(q)],
            type="text",
            classes="control",
        )

    def compose(self) -> ComposeResult:
        self._control = self._make_control()
        with Horizontal(classes="field-row"):
            yield Static(self._head(), classes="field-head")
            with Vertical(classes="field-body"):
                if isinstance(self._control, Switch):
                    with Horizontal(classes="switch-row"):
                        yield self._control
                        yield Static(self.text_of_switch(), classes="switch-state")
                else:
                    yield self._control
                yield Static(self.question.help, classes="field-help", markup=False)
                yield Static("", classes="field-error", markup=False)

    def on_mount(self) -> None:
        if self.origin in ("file", "saved") and isinstance(self._control, Input):
            _, problem = from_text(self.question, self.initial_text)
            self.show_problem(problem)

    # --- reading and writing ------------------------------------------------------------------

    @property
    def control(self) -> Widget:
        assert self._control is not None
        return self._control

    @property
    def text(self) -> str:
        control = self.control
        if isinstance(control, Switch):
            return "yes" if control.value else "no"
        if isinstance(control, Select):
            value = control.value
            return "" if value is Select.NULL else str(value)
        assert isinstance(control, Input)
        return control.value

    def set_text(self, text: str, origin: str = "typed") -> None:
        """Show `text` (a discovery pick, a list choice); posts `Edited` like typing would."""
        control = self.control
        if isinstance(control, Switch):
            control.value = text == "yes"
        elif isinstance(control, Select):
            if text in self.question.choices:
                control.value = text
        else:
            assert isinstance(control, Input)
            control.value = text
            control.cursor_position = len(text)
        self.set_origin(origin)

    def _head(self) -> Content:
        """The label in bold, and under it where the value came from (if not a default)."""
        badge = ORIGIN_BADGES.get(self.origin, "")
        if badge:
            return Content.from_markup(
                "[b]$label[/]\n[i $text-muted]$badge[/]", label=self.question.label, badge=badge
            )
        return Content.from_markup("[b]$label[/]", label=self.question.label)

    def set_origin(self, origin: str) -> None:
        if origin == self.origin:
            return
        self.origin = origin
        self.query_one(".field-head", Static).update(self._head())

    def set_suggestions(self, values: list[str]) -> None:
        """Inline completion (→ accepts) from discovered values, for text fields."""
        if isinstance(self.control, Input):
            self.control.suggester = SuggestFromList(values, case_sensitive=True)

    def show_problem(self, problem: Problem | None) -> None:
        shown = "" if problem is None else f"✗ {describe(problem)}"
        if shown == self._shown_problem:
            return  # no layout refresh per keystroke when nothing changes
        self._shown_problem = shown
        self.set_class(problem is not None, "-invalid")
        self.query_one(".field-error", Static).update(shown)

    @property
    def invalid(self) -> bool:
        return self.has_class("-invalid")

    @property
    def error_text(self) -> str:
        return self._shown_problem

    def toggle_help(self) -> None:
        self.toggle_class("-show-help")

    @property
    def help_shown(self) -> bool:
        return self.has_class("-show-help")

    def focus_control(self) -> None:
        self.control.focus()

    # --- events -------------------------------------------------------------------------------

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        result = event.validation_result
        if result is None or result.is_valid:
            self.show_problem(None)
        else:
            _, problem = from_text(self.question, event.value)
            self.show_problem(problem)
        self._edited()

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(self))

    def text_of_switch(self) -> str:
        return "yes" if isinstance(self._control, Switch) and self._control.value else "no"

    @on(Select.Changed)
    @on(Switch.Changed)
    def _picked(self, event: Select.Changed | Switch.Changed) -> None:
        event.stop()
        if isinstance(event, Switch.Changed):
            self.query_one(".switch-state", Static).update(self.text_of_switch())
        self.show_problem(None)
        self._edited()

    def _edited(self) -> None:
        self.post_message(self.Edited(self, self.key, self.text))
