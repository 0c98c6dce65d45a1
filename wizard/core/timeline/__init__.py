"""The monitor's model, pure: frozen snapshots, snapshot -> events diff, failure explanations.

No AWS here: the pollers in `wizard.services.aws.monitor` build the views from API responses;
the TUI and the plain/JSON printers consume snapshots and the events `diff` derives from them.
"""

from wizard.core.timeline.diff import diff
from wizard.core.timeline.failures import (
    FailureReport,
    branch_missing,
    explain,
    explain_deployment,
    explain_pipeline,
    ignored_failures_note,
    instances_headline,
)
from wizard.core.timeline.fold import EventFold
from wizard.core.timeline.offers import ActionOffer, available_actions
from wizard.core.timeline.verdict import finished, result_code
from wizard.core.timeline.views import (
    FINAL_TARGET_STATUSES,
    ActionView,
    ConnectionState,
    DeploymentSummary,
    DeploymentView,
    EnvironmentStages,
    ExecutionView,
    InstanceView,
    LifecycleCell,
    Outcome,
    Overview,
    PipelineView,
    RevisionRef,
    Snapshot,
    SourceRevision,
    StageView,
    TargetHealthView,
    TrafficView,
    exit_detail,
    progress_line,
    stage_label,
)

__all__ = [
    "FINAL_TARGET_STATUSES",
    "ActionOffer",
    "ActionView",
    "ConnectionState",
    "DeploymentSummary",
    "DeploymentView",
    "EnvironmentStages",
    "EventFold",
    "ExecutionView",
    "FailureReport",
    "InstanceView",
    "LifecycleCell",
    "Outcome",
    "Overview",
    "PipelineView",
    "RevisionRef",
    "Snapshot",
    "SourceRevision",
    "StageView",
    "TargetHealthView",
    "TrafficView",
    "available_actions",
    "branch_missing",
    "diff",
    "exit_detail",
    "explain",
    "explain_deployment",
    "explain_pipeline",
    "finished",
    "ignored_failures_note",
    "instances_headline",
    "progress_line",
    "result_code",
    "stage_label",
]
