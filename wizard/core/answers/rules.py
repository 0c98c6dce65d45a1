"""Validators for answers: AWS's documented naming rules, checked locally before any API call.

Each factory returns a `Rule` with the message, the fix and the JSON Schema fragment it implies.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from wizard.core.answers.fields import Rule
from wizard.core.system_paths import is_system_dir


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


def length(lo: int, hi: int, *, what: str = "characters") -> Rule:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return None
        n = len(value)
        if lo <= n <= hi:
            return None
        return f"must be {lo}–{hi} {what} long, not {n}"

    fix = f"use {lo} to {hi} {what}" if lo else f"use at most {hi} {what}"
    return Rule(check, fix, {"minLength": lo, "maxLength": hi})


def pattern(regex: str, message: str, fix: str) -> Rule:
    compiled = re.compile(regex)

    def check(value: Any) -> str | None:
        if isinstance(value, str) and not compiled.fullmatch(value):
            return message
        return None

    return Rule(check, fix, {"pattern": f"^(?:{regex})$"})


def int_range(lo: int, hi: int, *, unit: str = "") -> Rule:
    suffix = f" {unit}" if unit else ""

    def check(value: Any) -> str | None:
        if isinstance(value, int) and not lo <= value <= hi:
            return f"must be between {lo} and {hi}{suffix}"
        return None

    return Rule(check, f"pick a value from {lo} to {hi}{suffix}", {"minimum": lo, "maximum": hi})


def no_control_chars() -> Rule:
    def check(value: Any) -> str | None:
        if isinstance(value, str) and any(ord(c) < 32 or ord(c) == 127 for c in value):
            return "must not contain control characters (newlines, tabs, escapes)"
        return None

    return Rule(check, "remove line breaks and other control characters")


# --- AWS names ------------------------------------------------------------------------------

PROJECT = (
    length(3, 32),
    pattern(
        r"[a-z][a-z0-9-]*[a-z0-9]",
        "may only hold lowercase letters, digits and hyphens, starting with a letter and not "
        "ending with a hyphen",
        "use something like 'devops-python-service'",
    ),
    Rule(
        lambda v: "must not contain '--'" if isinstance(v, str) and "--" in v else None,
        "use single hyphens",
    ),
)

REGION = (
    pattern(
        r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}",
        "is not an AWS region code",
        "use a region code like 'eu-west-1' or 'us-east-1' (not a name like 'Ireland')",
    ),
)


def _no_outer_space(value: Any) -> str | None:
    if isinstance(value, str) and value != value.strip():
        return "must not start or end with a space"
    return None


# A profile is a section of ~/.aws/config, not an AWS resource: botocore takes any name there
# (quoted in the section header when it holds spaces). It reaches files only through the HCL and
# JSON filters, and hints quote it for the shell.
PROFILE = (
    length(1, 128),
    no_control_chars(),
    Rule(_no_outer_space, "remove the leading or trailing spaces"),
)

CODECOMMIT_REPOSITORY = (
    length(1, 100),
    pattern(
        r"[A-Za-z0-9_.-]+",
        "may only hold letters, digits, '.', '_' and '-'",
        "rename it using only letters, digits, '.', '_' and '-'",
    ),
    Rule(
        lambda v: "must not end with '.git'" if isinstance(v, str) and v.endswith(".git") else None,
        "drop the '.git' suffix",
    ),
    Rule(
        lambda v: "cannot be '.' or '..'" if v in (".", "..") else None,
        "pick a real name",
    ),
)


def _branch_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    if value.startswith(("-", "/")) or value.endswith(("/", ".", ".lock")):
        return "is not a valid git branch name (bad start or end)"
    bad = set(" ~^:?*[\\\x7f")
    if any(c in bad or ord(c) < 32 for c in value):
        return "is not a valid git branch name (it holds a space or one of ~ ^ : ? * [ \\)"
    if ".." in value or "@{" in value or "//" in value or value == "@":
        return "is not a valid git branch name ('..', '@{' and '//' are not allowed)"
    if any(part.startswith(".") for part in value.split("/")):
        return "is not a valid git branch name (a path component starts with '.')"
    return None


BRANCH = (
    length(1, 256),
    Rule(_branch_problem, "use a name git accepts, like 'main', 'master' or 'release/1.2'"),
)

#: The tag characters IAM, SSM and S3 accept (and AWS's cross-service recommendation): Unicode
#: letters, digits and spaces plus _ . : / = + - @. EC2 and CodeDeploy accept any text.
_AWS_TAG_CHARS = r"[\w .:/=+@-]*"


def _not_aws_prefixed(value: Any) -> str | None:
    if isinstance(value, str) and value.lower().startswith("aws:"):
        return "must not start with 'aws:' (reserved by AWS)"
    return None


# The deployment group's EC2 tag: EC2 takes any text as a tag key (1-128 characters, not 'aws:')
# or value (up to 256), and CodeDeploy's tag filters have the same limits and no character rule
# (CodeDeploy quotas, "Instances"). Control characters are refused: the wizard's one-line field
# cannot hold them, so an answers file could say what the wizard cannot, and the EC2 and SSM
# APIs answer in XML, which cannot carry most of them. The renderer's escaping, not this rule,
# keeps quotes, `${`, `$(` and the like inert.
TAG_KEY = (
    length(1, 128),
    Rule(_not_aws_prefixed, "choose a key without the 'aws:' prefix"),
    no_control_chars(),
)

TAG_VALUE = (
    length(1, 256),
    no_control_chars(),
)

#: One tag key in a `tags` / `group_tags` map: those tags land on IAM roles, S3 buckets and SSM
#: associations too, which refuse anything outside `_AWS_TAG_CHARS`.
_MAP_TAG_KEY = (
    length(1, 128),
    Rule(_not_aws_prefixed, "choose a key without the 'aws:' prefix"),
    pattern(
        _AWS_TAG_CHARS,
        "may only hold letters, digits, spaces and _ . : / = + - @",
        "remove other characters from the tag key",
    ),
)
_MAP_TAG_VALUE = (
    length(0, 256),
    pattern(
        _AWS_TAG_CHARS,
        "may only hold letters, digits, spaces and _ . : / = + - @",
        "remove other characters from the tag value",
    ),
)

#: Characters an SSM association target key (`tag:<key>`) may hold: Unicode letters, digits and
#: separators, and _ . : / = - @ (SSM's `Target.Key` pattern; no '+').
_SSM_TARGET_PUNCTUATION = frozenset("_.:/=-@")
SSM_TARGET_KEY_MAX = 163


def ssm_target_key_problem(tag_key: str) -> str | None:
    """Why `tag:<tag_key>` is not a valid SSM association target key (None when it is)."""
    bad = sorted(
        {
            c
            for c in tag_key
            if unicodedata.category(c)[0] not in "LNZ" and c not in _SSM_TARGET_PUNCTUATION
        }
    )
    if bad:
        shown = " ".join(repr(c) for c in bad)
        return f"holds {shown}, which Systems Manager refuses in an association's tag target"
    if len("tag:" + tag_key) > SSM_TARGET_KEY_MAX:
        return f"is longer than the {SSM_TARGET_KEY_MAX - 4} characters an SSM tag target allows"
    return None


def tag_map(max_tags: int = 50) -> Rule:
    key_rules = _MAP_TAG_KEY
    value_rules = _MAP_TAG_VALUE

    def check(value: Any) -> str | None:
        if not isinstance(value, Mapping):
            return None
        if len(value) > max_tags:
            return f"has {len(value)} tags; AWS allows at most {max_tags}"
        for k, v in value.items():
            for rule in key_rules:
                msg = rule.check(k)
                if msg:
                    return f"tag key {_describe(k)} {msg}"
            for rule in value_rules:
                msg = rule.check(v)
                if msg:
                    return f"value of tag {_describe(k)} {msg}"
        return None

    return Rule(
        check,
        f"use at most {max_tags} tags; keys 1–128 and values 0–256 characters of letters, digits, "
        "spaces and _ . : / = + - @, keys not starting with 'aws:'",
        {"maxProperties": max_tags},
    )


INSTANCE_TYPE = (
    length(3, 32),
    pattern(
        r"[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.[a-z0-9]+(?:-[a-z0-9]+)*",
        "is not an EC2 instance type",
        "use an instance type such as 't3.micro' or 'm7g.large'",
    ),
)

AMI_ALIASES = ("ubuntu-22.04", "ubuntu-24.04", "amazon-linux-2023")

AMI = (
    pattern(
        "|".join(re.escape(a) for a in AMI_ALIASES) + r"|ami-[0-9a-f]{8}(?:[0-9a-f]{9})?",
        "is neither a known alias nor an AMI id",
        f"use one of {', '.join(AMI_ALIASES)} (resolved to the current public AMI) or an id "
        "like 'ami-0123456789abcdef0'",
    ),
)

SUBNET_ID = (
    pattern(
        r"subnet-[0-9a-f]{8}(?:[0-9a-f]{9})?",
        "is not a subnet id",
        "use an id like 'subnet-0123456789abcdef0', or null for the default VPC",
    ),
)

# CodeDeploy application and deployment group names (CodeDeploy quotas: "Characters allowed in
# an application name" / "in a deployment group name").
CODEDEPLOY_NAME = (
    length(1, 100),
    pattern(
        r"[A-Za-z0-9_.+=,@-]+",
        "may only hold letters, digits and . _ + = , @ -",
        "rename it using only letters, digits and . _ + = , @ - (CodeDeploy rules)",
    ),
)

IAM_NAME = (
    length(1, 64),
    pattern(
        r"[A-Za-z0-9+=,.@_-]+",
        "may only hold letters, digits and + = , . @ _ -",
        "rename it using only letters, digits and + = , . @ _ - (IAM rules)",
    ),
)

PIPELINE_NAME = (
    length(1, 100),
    pattern(
        r"[A-Za-z0-9.@_-]+",
        "may only hold letters, digits and . @ _ -",
        "rename it using only letters, digits and . @ _ - (CodePipeline rules)",
    ),
)

_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def _bucket_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", value):
        return (
            "may only hold lowercase letters, digits, '.' and '-', and must start and end "
            "with a letter or digit"
        )
    if ".." in value or ".-" in value or "-." in value:
        return "must not contain '..', '.-' or '-.'"
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        pass
    else:
        return "must not look like an IP address"
    if value.startswith(_BUCKET_PREFIXES):
        return f"must not start with {' / '.join(_BUCKET_PREFIXES)} (reserved)"
    if value.endswith(_BUCKET_SUFFIXES):
        return f"must not end with {' / '.join(_BUCKET_SUFFIXES)} (reserved)"
    return None


BUCKET = (
    length(3, 63),
    Rule(
        _bucket_problem,
        "follow the S3 bucket naming rules: 3–63 lowercase letters, digits, '-' (and '.'); "
        "or use null to let cdwizard name it",
    ),
)


def _destination_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    if not value.startswith("/"):
        return "must be an absolute path"
    if any(part in ("..", ".") for part in value.split("/")):
        return "must not contain '.' or '..' components"
    if posixpath.normpath(value) != value or value.endswith("/"):
        return "must be a normalised path (no '//' and no trailing '/')"
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", value):
        return "may only hold letters, digits and . _ - /"
    if is_system_dir(value):
        return "must not be a system directory"
    return None


DESTINATION = (
    length(2, 1024),
    Rule(
        _destination_problem,
        "use a dedicated absolute folder like '/home/snake/_target' or '/srv/myapp'",
    ),
)

LINUX_USER = (
    length(1, 32),
    pattern(
        r"[a-z_][a-z0-9_-]*",
        "is not a valid Linux user name",
        "use lowercase letters, digits, '_' and '-', starting with a letter or '_'",
    ),
)

HEALTH_PATH = (
    length(1, 256),
    pattern(
        r"/[A-Za-z0-9._~/-]*",
        "must be a URL path starting with '/' (letters, digits and . _ ~ / -)",
        "use a path like '/health'",
    ),
)

BINARY = (
    length(1, 4096),
    no_control_chars(),
)


def _state_key_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    if value.startswith("/") or value.endswith("/"):
        return "must not start or end with '/' (terraform's s3 backend refuses it)"
    if "//" in value:
        return "must not contain '//' (terraform's s3 backend refuses it)"
    if len(value.encode("utf-8")) > 1024:
        return "is longer than the 1024 bytes (UTF-8) S3 allows in an object key"
    return None


# Any UTF-8 text is a valid S3 object key (up to 1024 bytes); AWS's "safe characters" list is a
# recommendation. The key reaches backend.tf through the HCL filter only.
STATE_KEY = (
    length(1, 1024),
    no_control_chars(),
    Rule(_state_key_problem, "use a key like 'cdwizard/my-project/terraform.tfstate'"),
)


# --- sources through CodeConnections and S3 ---------------------------------------------------

CONNECTION_NAME = (
    length(1, 32),
    no_control_chars(),
)

CONNECTION_ARN = (
    pattern(
        r"arn:aws(-[a-z]+)*:(codestar-connections|codeconnections):[a-z0-9-]+:[0-9]{12}:"
        r"connection/[A-Za-z0-9_-]+",
        "is not a connection ARN",
        "copy the ARN from Developer Tools > Settings > Connections (arn:aws:codeconnections:"
        "REGION:ACCOUNT:connection/ID, or the older codestar-connections form), or leave it "
        "empty to create a connection",
    ),
)

_URL_FORMS = (
    re.compile(r"^(?:https?|ssh|git)://(?:[^@/]+@)?[^/]+/(?P<id>.+?)(?:\.git)?/?$"),
    re.compile(r"^[\w.-]+@[\w.-]+:(?P<id>.+?)(?:\.git)?$"),
)


def repository_id_from_url(value: str) -> str | None:
    """`owner/name` from a clone or browser URL someone pasted (None if it is not a URL)."""
    for form in _URL_FORMS:
        found = form.match(value.strip())
        if found:
            return found.group("id")
    return None


def _repository_id_shape(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    url = repository_id_from_url(value)
    if url is not None:
        return f"is a URL, not a repository id: use '{url}'"
    if not re.fullmatch(r"[^/\s]+(?:/[^/\s]+)+", value):
        return "must be OWNER/NAME (the owner, a slash, the repository name; no spaces)"
    return None


REPOSITORY_ID = (
    length(3, 512),
    Rule(
        _repository_id_shape,
        "write the full repository id as the provider shows it, e.g. 'my-org/my-service' "
        "(GitLab: 'group/subgroup/project')",
        {"pattern": r"^[^/\s]+(?:/[^/\s]+)+$"},
    ),
)

_GITHUB_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
_GITHUB_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
_GITLAB_PATH = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.-]{0,254}")
_BITBUCKET_WORKSPACE = re.compile(r"[a-z0-9_-]{1,62}")
_BITBUCKET_SLUG = re.compile(r"[a-z0-9_.-]{1,62}")


def repository_id_problem(provider: str, value: str) -> tuple[str, str] | None:
    """(message, fix) when `value` breaks `provider`'s documented naming rules, else None.

    GitHub: an owner of 1-39 letters, digits and single inner hyphens; a name of 1-100 letters,
    digits, '.', '_' and '-' (not '.' or '..'). GitLab: group(s) and project paths of letters,
    digits, '_', '-' and '.', not starting with '-' or ending in '.', '.git' or '.atom', at most
    20 nested groups. Bitbucket Cloud: a workspace id and a repository slug in lowercase letters,
    digits, '_', '-' (and '.' in the slug).
    """
    url = repository_id_from_url(value)
    if url is not None:
        return (
            "is a URL, not a repository id",
            f"use '{url}' (the part after the host, without .git)",
        )
    parts = value.split("/")
    if provider == "github":
        if len(parts) != 2:
            return (
                "a GitHub repository id is OWNER/NAME (exactly one slash)",
                "use e.g. 'my-org/my-service'",
            )
        owner, name = parts
        if not _GITHUB_OWNER.fullmatch(owner):
            return (
                f"owner '{owner}' is not a GitHub user or organization name",
                "GitHub owners are 1-39 letters, digits and single hyphens, not starting or "
                "ending with a hyphen",
            )
        if not _GITHUB_NAME.fullmatch(name) or name in (".", ".."):
            return (
                f"name '{name}' is not a GitHub repository name",
                "GitHub repository names are 1-100 letters, digits, '.', '_' and '-'",
            )
        if name.lower().endswith(".git"):
            return ("must not end with '.git'", f"use '{owner}/{name[:-4]}'")
        return None
    if provider == "gitlab":
        if not 2 <= len(parts) <= 21:
            return (
                "a GitLab repository id is GROUP[/SUBGROUP…]/PROJECT (at most 20 groups)",
                "use the project's full path, e.g. 'my-group/my-service'",
            )
        for part in parts:
            bad = (
                not _GITLAB_PATH.fullmatch(part)
                or part.endswith((".", ".git", ".atom"))
                or part.startswith("-")
            )
            if bad:
                return (
                    f"path '{part}' is not a GitLab group or project path",
                    "GitLab paths hold letters, digits, '_', '-' and '.', do not start with "
                    "'-' and do not end in '.', '.git' or '.atom'",
                )
        return None
    if provider == "bitbucket":
        if len(parts) != 2:
            return (
                "a Bitbucket repository id is WORKSPACE/REPOSITORY (exactly one slash)",
                "use the workspace id and the repository slug, e.g. 'my-team/my-service'",
            )
        workspace, slug = parts
        if not _BITBUCKET_WORKSPACE.fullmatch(workspace):
            return (
                f"workspace '{workspace}' is not a Bitbucket workspace id",
                "Bitbucket workspace ids are lowercase letters, digits, '_' and '-' (the "
                "workspace's URL name, not its display name)",
            )
        if not _BITBUCKET_SLUG.fullmatch(slug):
            return (
                f"'{slug}' is not a Bitbucket repository slug",
                "Bitbucket slugs are lowercase letters, digits, '_', '-' and '.' (as in the "
                "repository's URL)",
            )
        return None
    return None


#: S3's "characters to avoid" in object keys (they need encoding in URLs and shells).
_KEY_AVOID = set('\\{}^%`]">[~<#|')


def _object_key_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    if len(value.encode("utf-8")) > 1024:
        return "must be at most 1024 bytes long (UTF-8)"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return "must not contain control characters"
    if value.startswith("/"):
        return "must not start with '/'"
    if any(c in _KEY_AVOID for c in value):
        return 'holds a character S3 recommends avoiding (\\ { } ^ % ` ] " > [ ~ < # |)'
    if not value.endswith(".zip"):
        return "must end in .zip: CodeDeploy deploys the object as a zip bundle"
    return None


OBJECT_KEY = (
    length(5, 1024),
    Rule(_object_key_problem, "use a key like 'my-service/payload.zip'"),
)
# --- lists and the load balancer --------------------------------------------------------------


def each(*rules: Rule) -> Rule:
    """A rule for a list: every entry must pass `rules` (the first bad entry is reported)."""

    def check(value: Any) -> str | None:
        if not isinstance(value, list):
            return None
        for index, item in enumerate(value, start=1):
            for rule in rules:
                message = rule.check(item)
                if message:
                    return f"entry {index} ({_describe(item)}) {message}"
        return None

    items: dict[str, Any] = {}
    for rule in rules:
        items.update(rule.schema)
    return Rule(check, rules[0].fix if rules else "", {"items": items})


def distinct() -> Rule:
    def check(value: Any) -> str | None:
        if isinstance(value, list) and len(set(value)) != len(value):
            repeated = sorted({v for v in value if value.count(v) > 1})
            return f"lists {', '.join(repeated)} more than once"
        return None

    return Rule(check, "list each entry once", {"uniqueItems": True})


def _cidr_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        if "host bits set" in str(exc):
            network = ipaddress.ip_network(value, strict=False)
            return f"has host bits set (the block is {network})"
        return "is not a CIDR block"
    if "/" not in value:
        return "has no prefix length"
    return None


CIDR = Rule(_cidr_problem, "write address ranges like '203.0.113.0/24' or '0.0.0.0/0'")

LOAD_BALANCER_NAME = (
    length(1, 32),
    pattern(
        r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?",
        "may only hold letters, digits and hyphens, and must not start or end with a hyphen",
        "use something like 'shop-web' (Elastic Load Balancing names: 1–32 letters, digits, '-')",
    ),
    Rule(
        lambda v: (
            "must not start with 'internal-'"
            if isinstance(v, str) and v.startswith("internal-")
            else None
        ),
        "pick a name that does not start with 'internal-' (AWS reserves it)",
    ),
)

SUBNET_IDS = (
    each(*SUBNET_ID),
    distinct(),
    Rule(
        lambda v: (
            "lists one subnet; a load balancer needs two or more, in different Availability Zones"
            if isinstance(v, list) and len(v) == 1
            else None
        ),
        "add a subnet of another Availability Zone of the same VPC, or use [] for the default "
        "VPC's default subnets",
        {"not": {"minItems": 1, "maxItems": 1}},
    ),
)

CIDRS = (
    Rule(
        lambda v: "must not be empty" if isinstance(v, list) and not v else None,
        "list who may reach the load balancer, e.g. ['0.0.0.0/0'] for everyone",
        {"minItems": 1},
    ),
    each(CIDR),
    distinct(),
)

ACM_CERTIFICATE_ARN = (
    pattern(
        r"arn:aws(?:-cn|-us-gov)?:acm:[a-z]{2}(?:-gov)?-[a-z]+-[0-9]{1,2}:[0-9]{12}:"
        r"certificate/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "is not an ACM certificate ARN",
        "copy the ARN from ACM, like "
        "'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789'",
    ),
)

TARGET_GROUP_ARN = (
    pattern(
        r"arn:aws(?:-cn|-us-gov)?:elasticloadbalancing:[a-z]{2}(?:-gov)?-[a-z]+-[0-9]{1,2}:"
        r"[0-9]{12}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}",
        "is not a target group ARN",
        "copy the ARN from the EC2 console (Target groups) or `aws elbv2 describe-target-groups`, "
        "like 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop/"
        "0123456789abcdef'",
    ),
)

URL = (
    length(8, 2048),
    pattern(
        r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~/-]*)?",
        "is not an http(s) URL of a host name",
        "write it like 'https://shop.example.com' (no query string)",
    ),
)


def arn_region(arn: Any) -> str | None:
    """The region part of an ARN (None when it is not an ARN)."""
    if not isinstance(arn, str):
        return None
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[0] == "arn" else None


# --- environments and notifications --------------------------------------------------------------

ENVIRONMENT_NAME = (
    pattern(
        r"[a-z][a-z0-9-]{0,19}",
        "must be 1–20 lowercase letters, digits or hyphens, starting with a letter",
        "use a short name like 'staging' or 'prod-eu'",
    ),
)

HTTPS_URL = (
    length(9, 2048),
    pattern(
        r"https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~/%?&=#+-]*)?",
        "is not an https URL",
        "write it like 'https://staging.example.com'",
    ),
)

SNS_TOPIC_ARN = (
    pattern(
        r"arn:aws(?:-cn|-us-gov)?:sns:[a-z]{2}(?:-gov)?-[a-z]+-[0-9]{1,2}:[0-9]{12}:"
        r"[A-Za-z0-9_-]{1,256}(?:\.fifo)?",
        "is not an SNS topic ARN",
        "copy the ARN from the SNS console, like 'arn:aws:sns:eu-west-1:123456789012:deployments'",
    ),
)

_EMAIL = pattern(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+",
    "is not an email address",
    "write addresses like 'ops@example.com'",
)

EMAILS = (each(_EMAIL), distinct())


def notification_events(allowed: tuple[str, ...]) -> tuple[Rule, ...]:
    """Each entry one of `allowed`, each once, at least one."""
    one_of = Rule(
        lambda v: None if v in allowed else f"must be one of: {', '.join(allowed)}",
        f"pick from {', '.join(allowed)}",
        {"enum": list(allowed)},
    )
    return (
        Rule(
            lambda v: "must not be empty" if isinstance(v, list) and not v else None,
            f"list at least one of {', '.join(allowed)} (or remove notifications)",
            {"minItems": 1},
        ),
        each(one_of),
        distinct(),
    )
