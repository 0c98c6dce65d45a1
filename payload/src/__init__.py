"""The sample FastAPI service that cdwizard deploys with CodeDeploy."""
