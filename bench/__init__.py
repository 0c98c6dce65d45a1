"""Benchmarks. Each `bench_*.py` has `main()` printing its measurements and ratios against a
baseline measured in the same run. Run them all with `python -m bench`, one with
`python -m bench NAME`."""


def terraform_mirror() -> str | None:
    """The offline provider mirror a terraform benchmark needs, or None after saying why it
    skips (no `CDWIZARD_PROVIDER_MIRROR`, or a checkout without the terraform templates)."""
    import os

    from wizard.core import resources

    mirror = os.environ.get("CDWIZARD_PROVIDER_MIRROR")
    if not mirror:
        print("   skipped: set CDWIZARD_PROVIDER_MIRROR (offline provider mirror)")
        return None
    if not (resources.templates_dir() / "terraform").is_dir():
        print("   skipped: no terraform templates/modules in this checkout")
        return None
    return mirror
