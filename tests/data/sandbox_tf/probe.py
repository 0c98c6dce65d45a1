"""Probe moto for each gap the sandbox shims cover; prints one JSON object of observations.

    python probe.py plain     # moto as installed, served by moto's own ThreadedMotoServer
    python probe.py shimmed   # the sandbox's server: shims, extensions and the wire adapters

Run in its own process so that "plain" really is plain (shims patch moto process-wide).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError


def main(mode: str) -> dict[str, Any]:
    if mode == "shimmed":
        from wizard.services.sandbox.extensions import install_all
        from wizard.services.sandbox.server import EmulatorServer
        from wizard.services.sandbox.shims import install_shims

        install_shims()
        install_all()
        server: Any = EmulatorServer("127.0.0.1", 0)
    else:
        from moto.server import ThreadedMotoServer

        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    raw: dict[str, bytes] = {}

    def client(service: str) -> Any:
        c = boto3.client(
            service,
            endpoint_url=f"http://{host}:{port}",
            region_name="eu-west-1",
            aws_access_key_id="probe",
            aws_secret_access_key="probe",
            config=Config(retries={"max_attempts": 1}),
        )

        def keep(http_response: Any, model: Any, **_: Any) -> None:
            raw[model.name] = http_response.content

        c.meta.events.register("after-call", keep)
        return c

    def status(call: Any) -> Any:
        try:
            call()
            return "ok"
        except ClientError as exc:
            return exc.response["Error"].get("Code") or exc.response["ResponseMetadata"].get(
                "HTTPStatusCode"
            )
        except ResponseParserError:  # moto's HTML "500 Internal Server Error" page
            return "500"

    out: dict[str, Any] = {}
    try:
        iam = client("iam")
        arn = "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole"
        out["managed_policy"] = status(lambda: iam.get_policy(PolicyArn=arn))
        iam.create_role(
            RoleName="pipe",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "sts:AssumeRole",
                            "Principal": {"Service": "codepipeline.amazonaws.com"},
                        }
                    ],
                }
            ),
        )
        cp = client("codepipeline")
        action = {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"}
        cp.create_pipeline(
            pipeline={
                "name": "p",
                "roleArn": "arn:aws:iam::123456789012:role/pipe",
                "artifactStore": {"type": "S3", "location": "bucket"},
                "stages": [
                    {
                        "name": "Source",
                        "actions": [{"name": "S", "actionTypeId": action, "outputArtifacts": []}],
                    },
                    {
                        "name": "Two",
                        "actions": [{"name": "T", "actionTypeId": action, "outputArtifacts": []}],
                    },
                ],
            }
        )
        cp.get_pipeline(name="p")
        meta = json.loads(raw["GetPipeline"])["metadata"]
        out["pipeline_created"] = type(meta["created"]).__name__

        cd = client("codedeploy")
        cd.create_application(applicationName="a", computePlatform="Server")
        cd.create_deployment_group(
            applicationName="a",
            deploymentGroupName="g",
            serviceRoleArn="arn:aws:iam::123456789012:role/cd",
            ec2TagSet={"ec2TagSetList": [[{"Key": "Name", "Value": "x", "Type": "KEY_AND_VALUE"}]]},
            tags=[{"Key": "k", "Value": "v"}],
        )
        cd.get_deployment_group(applicationName="a", deploymentGroupName="g")
        group = json.loads(raw["GetDeploymentGroup"])["deploymentGroupInfo"]
        out["load_balancer_info"] = group.get("loadBalancerInfo", "absent")
        out["update_group"] = status(
            lambda: cd.update_deployment_group(
                applicationName="a",
                currentDeploymentGroupName="g",
                newDeploymentGroupName="g2",
                deploymentConfigName="CodeDeployDefault.AllAtOnce",
            )
        )
        if out["update_group"] == "ok":
            g2 = cd.get_deployment_group(applicationName="a", deploymentGroupName="g2")
            out["updated_config"] = g2["deploymentGroupInfo"]["deploymentConfigName"]
            arn = "arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:a/g2"
            out["renamed_tags"] = cd.list_tags_for_resource(ResourceArn=arn)["Tags"]
        name = "g2" if out["update_group"] == "ok" else "g"
        out["delete_group"] = status(
            lambda: cd.delete_deployment_group(applicationName="a", deploymentGroupName=name)
        )
        out["delete_group_again"] = status(
            lambda: cd.delete_deployment_group(applicationName="a", deploymentGroupName=name)
        )
        out["delete_app"] = status(lambda: cd.delete_application(applicationName="a"))
        out["app_after_delete"] = status(lambda: cd.get_application(applicationName="a"))

        ec2 = client("ec2")
        out["run_without_size"] = status(
            lambda: ec2.run_instances(
                ImageId="ami-12c6146b",
                MinCount=1,
                MaxCount=1,
                BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"Encrypted": True}}],
            )
        )
        inst = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]
        out["monitor"] = status(lambda: ec2.monitor_instances(InstanceIds=[inst["InstanceId"]]))
        described = ec2.describe_instances(InstanceIds=[inst["InstanceId"]])
        out["monitoring_state"] = described["Reservations"][0]["Instances"][0]["Monitoring"][
            "State"
        ]

        alb = ec2.create_security_group(GroupName="alb", Description="alb")["GroupId"]
        web = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
        rule = ec2.authorize_security_group_ingress(
            GroupId=web,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 8000,
                    "ToPort": 8000,
                    "UserIdGroupPairs": [{"GroupId": alb, "Description": "from the alb"}],
                }
            ],
        )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        found = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule])
        out["group_rule_description"] = found["SecurityGroupRules"][0].get("Description", "absent")

        elb = client("elbv2")
        vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        tg = elb.create_target_group(Name="tg", Protocol="HTTP", Port=8000, VpcId=vpc)
        tg_arn = tg["TargetGroups"][0]["TargetGroupArn"]
        out["deregister_unregistered"] = status(
            lambda: elb.deregister_targets(
                TargetGroupArn=tg_arn, Targets=[{"Id": inst["InstanceId"]}]
            )
        )

        cc = client("codecommit")
        repo = cc.create_repository(repositoryName="r", tags={"Project": "x"})
        out["repo_created"] = type(
            json.loads(raw["CreateRepository"])["repositoryMetadata"]["creationDate"]
        ).__name__
        repo_arn = repo["repositoryMetadata"]["Arn"]
        out["repo_tags"] = status(lambda: cc.list_tags_for_resource(resourceArn=repo_arn))
        if out["repo_tags"] == "ok":
            out["repo_tag_values"] = cc.list_tags_for_resource(resourceArn=repo_arn)["tags"]

        ssm = client("ssm")
        out["association"] = status(
            lambda: ssm.create_association(
                Name="AWS-ConfigureAWSPackage",
                Parameters={"action": ["Install"], "name": ["AWSCodeDeployAgent"]},
                Targets=[{"Key": "tag:Name", "Values": ["x"]}],
                Tags=[{"Key": "Project", "Value": "x"}],
            )
        )
        out["caller_account"] = client("sts").get_caller_identity()["Account"]

        s3 = client("s3")
        s3.create_bucket(
            Bucket="probe-source", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        s3.put_bucket_notification_configuration(
            Bucket="probe-source", NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
        read = s3.get_bucket_notification_configuration(Bucket="probe-source")
        out["eventbridge_read_back"] = "EventBridgeConfiguration" in read

        conn = client("codestar-connections")
        out["connections"] = status(conn.list_connections)
    finally:
        server.stop()
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
