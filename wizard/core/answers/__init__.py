"""The Answers model: declared once, it drives validation, the wizard forms, the template and the
JSON Schema. See `model.py` for every question."""

from wizard.core.answers.fields import Question
from wizard.core.answers.io import (
    answers_yaml,
    dump_yaml,
    load_answers,
    read_document,
    save_answers,
    save_document,
)
from wizard.core.answers.model import CURRENT_VERSION, Answers
from wizard.core.answers.schema import json_schema
from wizard.core.answers.template import template_text
from wizard.core.answers.validate import (
    AnswersError,
    Problem,
    applicable,
    check_value,
    flatten,
    from_text,
    question_map,
    questions,
    resolve,
    to_flat,
    to_nested,
    to_text,
    validate_flat,
    validate_mapping,
)


def default_answers() -> Answers:
    """The answers you get from an empty file (plus `version: 1`)."""
    return validate_mapping({"version": CURRENT_VERSION})


__all__ = [
    "CURRENT_VERSION",
    "Answers",
    "AnswersError",
    "Problem",
    "Question",
    "answers_yaml",
    "applicable",
    "check_value",
    "default_answers",
    "dump_yaml",
    "flatten",
    "from_text",
    "json_schema",
    "load_answers",
    "question_map",
    "questions",
    "read_document",
    "resolve",
    "save_answers",
    "save_document",
    "template_text",
    "to_flat",
    "to_nested",
    "to_text",
    "validate_flat",
    "validate_mapping",
]
