"""The wizard's steps, in order, with the copy shown at the top of each (pure: no textual)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cache

from wizard.core.answers import Question, questions


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    intro: str


STEPS: tuple[Step, ...] = (
    Step(
        "welcome",
        "Welcome",
        "cdwizard builds a CodeCommit → CodePipeline → CodeDeploy pipeline that installs a FastAPI "
        "service on EC2, then shows every run live. Seven short steps; your answers are saved "
        "after each one, so you can stop and come back.",
    ),
    Step(
        "aws",
        "AWS",
        "Which account and region to build in. Credentials come from your AWS config or "
        "environment and are never written anywhere.",
    ),
    Step(
        "source",
        "Source",
        "Where the code comes from (CodeCommit, GitHub, GitLab, Bitbucket or a zip on S3), "
        "what starts the pipeline, and the pipeline's name.",
    ),
    Step(
        "targets",
        "Targets",
        "The EC2 instances that receive each deployment: they are found by a tag. cdwizard can "
        "create them, or target instances you already run.",
    ),
    Step(
        "deployment",
        "Deployment",
        "How CodeDeploy rolls a new revision out to the instances, and the IAM roles it uses.",
    ),
    Step(
        "environments",
        "Environments",
        "Deploy the same revision to several environments in turn (staging, then production), "
        "each with its own instances, optionally behind a manual approval; and who is told "
        "when a run fails, succeeds or waits for an approval.",
    ),
    Step(
        "payload",
        "Payload",
        "Where the service is installed on each instance, who runs it and how it is checked.",
    ),
    Step(
        "review",
        "Review",
        "Everything cdwizard will write and create. Nothing has been changed in your account yet.",
    ),
    Step(
        "apply",
        "Apply",
        "terraform applies exactly the reviewed plan.",
    ),
)

STEP_NAMES: tuple[str, ...] = tuple(s.name for s in STEPS)

#: Steps shown only when asked for (the Environments step: only with several environments, so
#: a single-environment pipeline goes through exactly the steps it always did).
OPTIONAL_STEPS: frozenset[str] = frozenset({"environments"})

#: Steps whose answers are asked in a form of their own (the optional ones not counted).
FORM_STEPS: tuple[str, ...] = ("welcome", "aws", "source", "targets", "deployment", "payload")


def flow(optional: Collection[str] = ()) -> tuple[str, ...]:
    """The steps gone through, in order: every fixed step and the optional ones in `optional`."""
    return tuple(n for n in STEP_NAMES if n not in OPTIONAL_STEPS or n in optional)


def number(name: str, optional: Collection[str] = ()) -> int:
    """The step's number as the indicator shows it (1-based, in this flow)."""
    steps = flow({*optional, name})
    return steps.index(name) + 1


def step(name: str) -> Step:
    for s in STEPS:
        if s.name == name:
            return s
    raise KeyError(name)


@cache
def step_questions(name: str) -> tuple[Question, ...]:
    """The questions a step asks, in declaration order."""
    return tuple(q for q in questions() if q.step == name)


def following(name: str, optional: Collection[str] = ()) -> str:
    steps = flow({*optional, name})
    index = steps.index(name)
    return steps[min(index + 1, len(steps) - 1)]


def preceding(name: str, optional: Collection[str] = ()) -> str:
    steps = flow({*optional, name})
    index = steps.index(name)
    return steps[max(index - 1, 0)]
