"""cdwizard: from nothing to a working CodeCommit -> CodeDeploy pipeline, and a live view of it."""

__version__ = "0.1.0"
