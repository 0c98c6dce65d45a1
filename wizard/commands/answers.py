"""`cdwizard answers template|schema|check FILE`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from wizard.commands.common import run_guarded


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    sub = parser.add_subparsers(dest="answers_command", metavar="ACTION", required=True)
    sub.add_parser("template", help="print a commented answers file with every key and default")
    sub.add_parser("schema", help="print the JSON Schema of the answers file")
    check = sub.add_parser("check", help="validate an answers file; list every problem")
    check.add_argument("file", type=Path, metavar="FILE")


def _run(args: argparse.Namespace) -> int:
    from wizard.core.answers import AnswersError, json_schema, load_answers, template_text
    from wizard.core.exitcodes import ExitCode

    if args.answers_command == "template":
        sys.stdout.write(template_text())
        return ExitCode.OK
    if args.answers_command == "schema":
        sys.stdout.write(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n")
        return ExitCode.OK
    try:
        answers = load_answers(args.file)
    except AnswersError as exc:
        print(str(exc), file=sys.stderr)
        return ExitCode.BAD_ANSWERS
    print(
        f"{args.file}: ok — project {answers.project}, pipeline {answers.pipeline.name}, "
        f"region {answers.aws.region}"
    )
    return ExitCode.OK


def run(args: argparse.Namespace) -> int:
    return run_guarded(_run, args)
