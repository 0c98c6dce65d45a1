"""SSM State Manager associations for the emulator (moto has none).

The `agent_install: ssm` variant creates an `aws_ssm_association` (AWS-ConfigureAWSPackage ->
AWSCodeDeployAgent, targeted by tag). The provider calls CreateAssociation, DescribeAssociation,
UpdateAssociation, DeleteAssociation and tags the association (ResourceType "Association"). This
keeps those in the SSM backend with the API's shapes (timestamps as epoch numbers, as JSON 1.1
requires). Nothing is executed: the association reports Success for its targets at once, also
per instance (DescribeInstanceAssociationsStatus: the instances it targets by id or tag).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

_STORE = "cdwizard_associations"
_FIELDS = (  # request fields kept as sent and echoed back in AssociationDescription
    "Name",
    "Parameters",
    "Targets",
    "AssociationName",
    "ScheduleExpression",
    "DocumentVersion",
    "ComplianceSeverity",
    "MaxConcurrency",
    "MaxErrors",
    "ApplyOnlyAtCronInterval",
    "SyncCompliance",
    "OutputLocation",
    "AutomationTargetParameterName",
    "CalendarNames",
    "TargetLocations",
    "ScheduleOffset",
    "Duration",
    "TargetMaps",
)


def _store(backend: Any) -> dict[str, dict[str, Any]]:
    store = getattr(backend, _STORE, None)
    if store is None:
        store = {}
        setattr(backend, _STORE, store)
    return store


def _missing(what: str) -> Exception:
    from moto.ssm.exceptions import SSMException

    return SSMException("AssociationDoesNotExist", f"Association {what} does not exist")


def _description(assoc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in assoc.items() if not k.startswith("_")}
    out["Overview"] = {
        "Status": "Success",
        "AssociationStatusAggregatedCount": {"Success": 1},
    }
    out["Status"] = {"Date": assoc["LastUpdateAssociationDate"], "Name": "Success", "Message": ""}
    return out


def _find(self: Any) -> dict[str, Any]:
    store = _store(self.ssm_backend)
    assoc_id = self._get_param("AssociationId")
    if assoc_id and assoc_id in store:
        return store[assoc_id]
    name = self._get_param("Name")
    if not assoc_id and name:
        for assoc in store.values():
            if assoc["Name"] == name:
                return assoc
    raise _missing(assoc_id or name)


def create_association(self: Any) -> Any:
    backend = self.ssm_backend
    now = time.time()
    assoc_id = str(uuid.uuid4())
    assoc: dict[str, Any] = {k: self._get_param(k) for k in _FIELDS if self._get_param(k)}
    assoc.update(
        AssociationId=assoc_id,
        AssociationVersion="1",
        Date=now,
        LastUpdateAssociationDate=now,
        LastExecutionDate=now,
        LastSuccessfulExecutionDate=now,
    )
    assoc.setdefault("DocumentVersion", "$DEFAULT")
    _store(backend)[assoc_id] = assoc
    tags = self._get_param("Tags") or []
    if tags:
        backend._resource_tags["Association"][assoc_id] = {t["Key"]: t["Value"] for t in tags}
    return json.dumps({"AssociationDescription": _description(assoc)})


def describe_association(self: Any) -> Any:
    assoc = _find(self)
    return json.dumps({"AssociationDescription": _description(assoc)})


def update_association(self: Any) -> Any:
    assoc = _find(self)
    for key in _FIELDS:
        value = self._get_param(key)
        if value is not None:
            assoc[key] = value
    assoc["AssociationVersion"] = str(int(assoc["AssociationVersion"]) + 1)
    assoc["LastUpdateAssociationDate"] = time.time()
    return json.dumps({"AssociationDescription": _description(assoc)})


def delete_association(self: Any) -> Any:
    assoc = _find(self)
    _store(self.ssm_backend).pop(assoc["AssociationId"], None)
    self.ssm_backend._resource_tags.get("Association", {}).pop(assoc["AssociationId"], None)
    return json.dumps({})


def list_associations(self: Any) -> Any:
    items = [
        {
            "Name": a["Name"],
            "AssociationId": a["AssociationId"],
            "AssociationVersion": a["AssociationVersion"],
            "AssociationName": a.get("AssociationName", ""),
            "Targets": a.get("Targets", []),
            "ScheduleExpression": a.get("ScheduleExpression", ""),
            "Overview": {"Status": "Success"},
            "LastExecutionDate": a["LastExecutionDate"],
        }
        for a in _store(self.ssm_backend).values()
    ]
    return json.dumps({"Associations": items})


def _targets(assoc: dict[str, Any], instance_id: str, tags: dict[str, str]) -> bool:
    for target in assoc.get("Targets") or []:
        key, values = str(target.get("Key", "")), list(target.get("Values") or [])
        if key == "InstanceIds" and instance_id in values:
            return True
        if key.startswith("tag:") and tags.get(key[4:]) in values:
            return True
    return False


def describe_instance_associations_status(self: Any) -> Any:
    """The associations that target the instance (by id or tag), each Success at once."""
    from moto.ec2.models import ec2_backends

    instance_id = str(self._get_param("InstanceId") or "")
    ec2 = ec2_backends[self.current_account][self.region]
    instance = ec2.get_instance(instance_id)  # moto's InvalidInstanceID.NotFound when missing
    tags = {t["key"]: t["value"] for t in instance.get_tags()}
    infos = [
        {
            "AssociationId": a["AssociationId"],
            "Name": a["Name"],
            "DocumentVersion": a.get("DocumentVersion", "$DEFAULT"),
            "AssociationVersion": a["AssociationVersion"],
            "InstanceId": instance_id,
            "ExecutionDate": a["LastExecutionDate"],
            "Status": "Success",
            "DetailedStatus": "Success",
            "ExecutionSummary": "1 out of 1 plugin processed, 1 success, 0 failed, 0 timedout, "
            "0 skipped.",
            "AssociationName": a.get("AssociationName", ""),
        }
        for a in _store(self.ssm_backend).values()
        if _targets(a, instance_id, tags)
    ]
    return json.dumps({"InstanceAssociationStatusInfos": infos})


_state = {"installed": False}


def install() -> None:
    """Add the association APIs to moto's SSM responses, and "Association" as a tag target."""
    if _state["installed"]:
        return
    from moto.ssm.models import SimpleSystemManagerBackend
    from moto.ssm.responses import SimpleSystemManagerResponse

    for fn in (
        create_association,
        describe_association,
        update_association,
        delete_association,
        list_associations,
        describe_instance_associations_status,
    ):
        setattr(SimpleSystemManagerResponse, fn.__name__, fn)

    validate = SimpleSystemManagerBackend._validate_resource_type_and_id

    def validate_with_associations(self: Any, resource_type: str, resource_id: str) -> str:
        if resource_type == "Association":
            if resource_id not in _store(self):
                from moto.ssm.exceptions import InvalidResourceId

                raise InvalidResourceId()
            return resource_id
        return validate(self, resource_type, resource_id)

    # a deliberate monkeypatch of moto's backend method: associations become taggable resources
    SimpleSystemManagerBackend._validate_resource_type_and_id = validate_with_associations  # type: ignore[method-assign]
    _state["installed"] = True
