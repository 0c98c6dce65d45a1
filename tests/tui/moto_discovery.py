"""A test-only `Discovery` over real boto3 clients pointed at the moto server.

It exists so the discovery UI can be tested against a real AWS API (moto over HTTP) before the
product's discovery service (`wizard.services.aws.discovery`) is on main; it is deliberately
small and lives in tests, not in the product.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from wizard.services.aws.session import AwsClients, AwsTarget
from wizard.tui.services import Clash, Identity, InstanceMatch


class MotoAccount:
    def __init__(self, clients: AwsClients) -> None:
        self.clients = clients

    def identity(self) -> Identity:
        who = self.clients.client("sts").get_caller_identity()
        return Identity(account=who["Account"], arn=who["Arn"])

    def regions(self) -> Sequence[str]:
        found = self.clients.client("ec2").describe_regions()["Regions"]
        return [r["RegionName"] for r in found]

    def repositories(self) -> Sequence[str]:
        pages = self.clients.client("codecommit").get_paginator("list_repositories").paginate()
        return [r["repositoryName"] for page in pages for r in page["repositories"]]

    def branches(self, repository: str) -> Sequence[str]:
        client = self.clients.client("codecommit")
        try:
            return list(client.list_branches(repositoryName=repository)["branches"])
        except client.exceptions.RepositoryDoesNotExistException:
            return []

    def match_instances(self, tag_key: str, tag_value: str) -> InstanceMatch:
        reservations = self.clients.client("ec2").describe_instances(
            Filters=[
                {"Name": f"tag:{tag_key}", "Values": [tag_value]},
                {"Name": "instance-state-name", "Values": ["running"]},
            ]
        )["Reservations"]
        instances = [i for r in reservations for i in r["Instances"]]
        return InstanceMatch(
            tag_key=tag_key,
            tag_value=tag_value,
            instance_ids=tuple(sorted(i["InstanceId"] for i in instances)),
            with_profile=sum(1 for i in instances if i.get("IamInstanceProfile")),
            ssm_online=None,
        )

    def clashes(self, answers: Mapping[str, Any]) -> Sequence[Clash]:
        found: list[Clash] = []
        iam = self.clients.client("iam")
        for key in ("deployment.service_role", "deployment.instance_profile"):
            try:
                iam.get_role(RoleName=answers[key])
            except iam.exceptions.NoSuchEntityException:
                continue
            found.append(Clash(key, "IAM role", answers[key]))
        deploy = self.clients.client("codedeploy")
        apps = set(deploy.list_applications()["applications"])
        if answers["deployment.application"] in apps:
            found.append(
                Clash(
                    "deployment.application",
                    "CodeDeploy application",
                    answers["deployment.application"],
                )
            )
        pipelines = {
            p["name"] for p in self.clients.client("codepipeline").list_pipelines()["pipelines"]
        }
        if answers["pipeline.name"] in pipelines:
            found.append(Clash("pipeline.name", "Pipeline", answers["pipeline.name"]))
        return found


class MotoDiscovery:
    def __init__(
        self, target: AwsTarget, profiles: Sequence[str] = (), **client_options: Any
    ) -> None:
        self.target = target
        self._profiles = list(profiles)
        self.client_options = client_options

    def profiles(self) -> Sequence[str]:
        return list(self._profiles)

    def connect(self, profile: str | None, region: str) -> MotoAccount:
        clients = AwsClients(replace(self.target, region=region), **self.client_options)
        return MotoAccount(clients)
