"""`python -m wizard` is `cdwizard`."""

from wizard.cli import main

raise SystemExit(main())
