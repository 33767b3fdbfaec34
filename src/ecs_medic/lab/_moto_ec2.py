"""moto internals for EC2 gaps the network scenarios meet (re-check on a moto upgrade).

- ModifyVpcEndpoint ignores `PrivateDnsEnabled` in moto 5.2.5, so turning Private DNS on -
  the fix for an interface endpoint created without it - would change nothing. The patch
  stores it on the endpoint, as AWS does.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.responses.vpcs import VPCs

from ecs_medic.lab._moto_core import Wrapper, once, wrap


@once
def install() -> None:
    """Install the EC2 patches once per process (inert for requests without the field)."""
    wrap(VPCs, "modify_vpc_endpoint", _modify_vpc_endpoint)


def _modify_vpc_endpoint(original: Wrapper, self: Any) -> Any:
    """Keep PrivateDnsEnabled on the endpoint, as AWS does."""
    result = original(self)
    private_dns = self._get_param("PrivateDnsEnabled")
    if private_dns is not None:
        endpoint_id = self._get_param("VpcEndpointId")
        endpoint = self.ec2_backend.describe_vpc_endpoints(vpc_end_point_ids=[endpoint_id])[0]
        endpoint.private_dns_enabled = str(private_dns).lower() == "true"
    return result
