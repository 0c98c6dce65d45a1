"""The seed procedure's stack built by hand through boto3 (what a reader of
`seed/codedeploy-demo.md` has before they try cdwizard), for the adoption tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

CODEDEPLOY_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "",
            "Effect": "Allow",
            "Principal": {"Service": ["codedeploy.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ],
}
EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "",
            "Effect": "Allow",
            "Principal": {"Service": ["ec2.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ],
}
EC2_PERMISSIONS = {
    "Version": "2012-10-17",
    "Statement": [
        {"Action": ["s3:Get*", "s3:List*"], "Effect": "Allow", "Resource": "*"},
    ],
}


@dataclass
class SeedStack:
    service_role: str = "CodeDeployServiceRole"
    profile: str = "CodeDeployDemo-EC2-Instance-Profile"
    application: str = "devops-python-service"
    group: str = "devops-python-service-dg"
    repository: str = "devops-python-service"
    tag: tuple[str, str] = ("Name", "devops-python-service")
    instance_id: str = ""

    def build(self, clients: Any) -> SeedStack:
        """The seed's IAM, instance, CodeDeploy application and group, and repository."""
        iam = clients.client("iam")
        iam.create_role(
            RoleName=self.service_role, AssumeRolePolicyDocument=json.dumps(CODEDEPLOY_TRUST)
        )
        iam.attach_role_policy(
            RoleName=self.service_role,
            PolicyArn="arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole",
        )
        iam.create_role(RoleName=self.profile, AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
        iam.put_role_policy(
            RoleName=self.profile,
            PolicyName="CodeDeployDemo-EC2-Permissions",
            PolicyDocument=json.dumps(EC2_PERMISSIONS),
        )
        iam.attach_role_policy(
            RoleName=self.profile,
            PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        )
        iam.create_instance_profile(InstanceProfileName=self.profile)
        iam.add_role_to_instance_profile(InstanceProfileName=self.profile, RoleName=self.profile)

        ec2 = clients.client("ec2")
        image = ec2.describe_images(Owners=["amazon"])["Images"][0]
        key, value = self.tag
        [instance] = ec2.run_instances(
            ImageId=image["ImageId"],
            InstanceType="t3.micro",
            MinCount=1,
            MaxCount=1,
            IamInstanceProfile={"Name": self.profile},
            BlockDeviceMappings=[
                {
                    "DeviceName": image.get("RootDeviceName", "/dev/xvda"),
                    "Ebs": {"VolumeSize": 8, "VolumeType": "gp3", "Encrypted": True},
                }
            ],
            MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": key, "Value": value}]}
            ],
        )["Instances"]
        self.instance_id = instance["InstanceId"]

        cd = clients.client("codedeploy")
        cd.create_application(applicationName=self.application, computePlatform="Server")
        role_arn = iam.get_role(RoleName=self.service_role)["Role"]["Arn"]
        cd.create_deployment_group(
            applicationName=self.application,
            deploymentGroupName=self.group,
            serviceRoleArn=role_arn,
            deploymentConfigName="CodeDeployDefault.OneAtATime",
            deploymentStyle={
                "deploymentType": "IN_PLACE",
                "deploymentOption": "WITHOUT_TRAFFIC_CONTROL",
            },
            ec2TagSet={"ec2TagSetList": [[{"Key": key, "Value": value, "Type": "KEY_AND_VALUE"}]]},
            autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE"]},
            tags=[{"Key": "ManagedBy", "Value": "codedeploy"}],
        )
        clients.client("codecommit").create_repository(repositoryName=self.repository)
        return self
