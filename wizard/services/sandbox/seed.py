"""Data AWS publishes that moto does not ship: the public SSM parameters of Canonical's Ubuntu
images, which the instance module reads to resolve the `ubuntu-22.04` / `ubuntu-24.04` AMI
aliases. (moto already has `/aws/service/ami-amazon-linux-latest/*` for amazon-linux-2023.)

Each points at an Ubuntu image moto knows in that region, so RunInstances accepts it.
"""

from __future__ import annotations

from typing import Any

UBUNTU_PARAMETERS = tuple(
    f"/aws/service/canonical/ubuntu/server/{release}/stable/current/{arch}/hvm/{volume}/ami-id"
    for release, volume in (("22.04", "ebs-gp2"), ("24.04", "ebs-gp3"), ("22.04", "ebs-gp3"))
    for arch in ("amd64", "arm64")
)


def _ubuntu_image(ec2: Any) -> str:
    for image_id, image in sorted(ec2.amis.items()):
        if "ubuntu" in (image.name or "").lower() and "server" in (image.name or "").lower():
            return str(image_id)
    return "ami-12c6146b"  # moto's default image


def seed_public_parameters(account_id: str, region: str) -> list[str]:
    """Add the missing public parameters for one account/region; returns the names added."""
    from moto.core.utils import utcnow
    from moto.ec2.models import ec2_backends
    from moto.ssm.models import Parameter, ssm_backends

    ssm = ssm_backends[account_id][region]
    image = _ubuntu_image(ec2_backends[account_id][region])
    added = []
    for name in UBUNTU_PARAMETERS:
        if ssm.get_parameter(name) is not None:
            continue
        ssm._parameters[name].append(
            # moto marks CloudFormationModel methods @abstractmethod without ABCMeta; moto itself
            # builds Parameter the same way (e.g. its public AMI parameters)
            Parameter(  # type: ignore[abstract]
                account_id=account_id,
                name=name,
                value=image,
                parameter_type="String",
                description=None,
                allowed_pattern=None,
                keyid=None,
                last_modified_date=utcnow(),
                version=1,
                data_type="aws:ec2:image",
            )
        )
        added.append(name)
    return added
