"""Email subscriptions to SNS topics wait for confirmation, as on AWS (moto confirms them at once).

An `email` / `email-json` subscription is PendingConfirmation until its address confirms it: on
AWS, by following the link in the message SNS sends; the sandbox sends no email, so it stays
pending (the wizard tells each address to confirm). As on AWS:

- Subscribe answers `pending confirmation` instead of an ARN, unless the request sets
  `ReturnSubscriptionArn` (as the terraform provider does);
- GetSubscriptionAttributes shows `PendingConfirmation` true and the topic counts it in
  `SubscriptionsPending`; ListSubscriptions(ByTopic) show `PendingConfirmation` as its ARN;
- Unsubscribe refuses a pending subscription (InvalidParameter); deleting the topic removes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

EMAIL_PROTOCOLS = ("email", "email-json")
PENDING_ARN = "pending confirmation"
#: what the listings show in place of a pending subscription's ARN
PENDING_LISTED = "PendingConfirmation"
_MARK = "_cdwizard_sns_email"
_PENDING = "_cdwizard_pending"


def pending(subscription: Any) -> bool:
    return bool(getattr(subscription, _PENDING, False))


def _listed(subscription: Any) -> dict[str, Any]:
    return {
        "SubscriptionArn": PENDING_LISTED if pending(subscription) else subscription.arn,
        "Owner": subscription.owner,
        "Protocol": subscription.protocol,
        "Endpoint": subscription.endpoint,
        "TopicArn": subscription.topic_arn,
    }


def _listing(own: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A ListSubscriptions(ByTopic) handler whose pending subscriptions show no ARN."""

    def handler(self: Any) -> Any:
        out = own(self)
        result = getattr(out, "result", None)
        if isinstance(result, dict) and isinstance(result.get("Subscriptions"), list):
            result["Subscriptions"] = [_listed(s) for s in result["Subscriptions"]]
        return out

    handler.__name__ = own.__name__
    return handler


def install() -> None:
    """Patch moto's SNS backend and Subscribe/Unsubscribe handlers (idempotent)."""
    from moto.core.responses import ActionResult
    from moto.sns.exceptions import SNSInvalidParameter
    from moto.sns.models import SNSBackend
    from moto.sns.responses import SNSResponse

    current = SNSBackend.__dict__["subscribe"]
    if getattr(current, _MARK, False):
        return

    def subscribe(self: SNSBackend, topic_arn: str, endpoint: str, protocol: str) -> Any:
        existed = self._find_subscription(topic_arn, endpoint, protocol)
        made = current(self, topic_arn, endpoint, protocol)
        if existed is None and protocol in EMAIL_PROTOCOLS:
            setattr(made, _PENDING, True)
            made.attributes["PendingConfirmation"] = True
            made.attributes["ConfirmationWasAuthenticated"] = False
            made.topic.subscriptions_pending += 1
        return made

    own_unsubscribe = SNSBackend.__dict__["unsubscribe"]

    def unsubscribe(self: SNSBackend, subscription_arn: str) -> None:
        if pending(self.subscriptions.get(subscription_arn)):
            raise SNSInvalidParameter(
                "Invalid parameter: SubscriptionArn Reason: Cannot unsubscribe a subscription "
                "that is pending confirmation"
            )
        own_unsubscribe(self, subscription_arn)

    own_response = SNSResponse.__dict__["subscribe"]

    def subscribe_response(self: SNSResponse) -> Any:
        out = own_response(self)
        found = self.backend._find_subscription(
            self._get_param("TopicArn"), self._get_param("Endpoint"), self._get_param("Protocol")
        )
        wants_arn = str(self._get_param("ReturnSubscriptionArn") or "").lower() == "true"
        if pending(found) and not wants_arn:
            return ActionResult({"SubscriptionArn": PENDING_ARN})
        return out

    listings = {
        name: _listing(SNSResponse.__dict__[name])
        for name in ("list_subscriptions", "list_subscriptions_by_topic")
    }
    for fn in (subscribe, unsubscribe, subscribe_response, *listings.values()):
        setattr(fn, _MARK, True)
    for name, fn in listings.items():
        setattr(SNSResponse, name, fn)
    # deliberate monkeypatches of moto's SNS (same signatures)
    SNSBackend.subscribe = subscribe  # type: ignore[method-assign]
    SNSBackend.unsubscribe = unsubscribe  # type: ignore[method-assign]
    SNSResponse.subscribe = subscribe_response  # type: ignore[method-assign]
