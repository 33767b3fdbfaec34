"""The boto3 transport turns every botocore failure into a typed GatewayError."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from ecs_medic.aws.direct_transport import DirectGateway
from ecs_medic.aws.gateway import ErrorKind, GatewayError


def gateway_with_stub(service: str) -> tuple[DirectGateway, Stubber]:
    session = boto3.Session(
        aws_access_key_id="k", aws_secret_access_key="s", region_name="eu-west-1"
    )
    gateway = DirectGateway(session, "eu-west-1")
    stubber = Stubber(gateway._client(service))
    stubber.activate()
    return gateway, stubber


def test_response_metadata_is_dropped_and_the_call_counted():
    """A successful call returns the API shape and counts once."""
    gateway, stubber = gateway_with_stub("ecs")
    stubber.add_response("list_clusters", {"clusterArns": ["arn:aws:ecs:eu-west-1:1:cluster/a"]})
    assert {"clusterArns": ["arn:aws:ecs:eu-west-1:1:cluster/a"]} == gateway.call(
        "ecs", "ListClusters"
    )
    assert 1 == gateway.api_calls


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("AccessDeniedException", ErrorKind.ACCESS_DENIED),
        ("ThrottlingException", ErrorKind.THROTTLED),
        ("ExpiredTokenException", ErrorKind.NO_CREDENTIALS),
        ("ClusterNotFoundException", ErrorKind.NOT_FOUND),
        ("ServerException", ErrorKind.ERROR),
    ],
)
def test_client_errors_are_classified(code, kind):
    """AWS error codes map to the kind the collector records as a gap."""
    gateway, stubber = gateway_with_stub("ecs")
    stubber.add_client_error("list_clusters", service_error_code=code, service_message="nope")
    with pytest.raises(GatewayError) as err:
        gateway.call("ecs", "ListClusters")
    assert (kind, code, "ecs:ListClusters") == (err.value.kind, err.value.code, err.value.source)
