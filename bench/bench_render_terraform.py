"""Render cost of the Terraform part of a workspace (the wizard re-renders on every step review).

Prints the mean time of a full `render()` of the default answers, of the answers -> tfvars
mapping alone, and of a baseline measured in the same run: reading every template and static
module file from disk (the I/O floor any render pays). Ratios are against that baseline.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from wizard.core import resources
from wizard.core.answers import default_answers
from wizard.core.render import render
from wizard.core.render.tfvars import root_variables


def _mean_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm caches (imports, file system)
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.mean(samples)


def _read_inputs() -> int:
    total = 0
    for base in (resources.templates_dir(), resources.modules_dir(), resources.payload_dir()):
        for path in sorted(base.rglob("*")):
            if path.is_file():
                total += len(path.read_bytes())
    return total


def main() -> None:
    answers = default_answers()
    repeat = 40
    baseline = _mean_ms(_read_inputs, repeat)
    full = _mean_ms(lambda: render(answers), repeat)
    tfvars = _mean_ms(lambda: root_variables(answers), repeat * 10)
    tree = render(answers)
    tf_files = sum(1 for rel in tree if rel.startswith("terraform/"))
    print(f"   baseline: read all template/module/payload files  {baseline:8.2f} ms")
    print(
        f"   render(default answers), {len(tree)} files ({tf_files} terraform)  "
        f"{full:8.2f} ms  ratio {full / baseline:5.1f}x"
    )
    print(f"   root_variables(answers)                           {tfvars:8.3f} ms")


if __name__ == "__main__":
    main()
