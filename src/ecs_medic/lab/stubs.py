"""Operations moto does not implement, answered by the lab (moto 5.2.5 returns HTTP 500).

`answer` runs for every request the lab's server receives, under the lab's lock, before moto:
it notes that the account may have changed (lab/inprocess.py's generation, which keeps the
launch stages' read cache honest) and serves the stubbed operations itself:

- iam:SimulatePrincipalPolicy, evaluated by lab/iam_policy.py over the principal's real
  attached and inline policies (plus any PolicyInputList), with context entries - the same
  evaluator that decides whether the lab's tasks may pull, read secrets and write logs.
- the JSON-protocol operations of lab/stubs_json.py (task protection, service deployments,
  scaling activities), in the region the request was signed for.
- service-quotas for the fargate service code (lab/stubs_quotas.py), cloudtrail:LookupEvents
  (lab/stubs_trail.py).

Every client reaches these the same way: boto3 with endpoint_url, and the AWS CLI inside
the AWS MCP servers through AWS_ENDPOINT_URL, both land on the lab's one HTTP server.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from xml.sax.saxutils import escape

from ecs_medic.lab import inprocess, stubs_json, stubs_quotas, stubs_trail
from ecs_medic.lab._moto_core import Scope
from ecs_medic.lab.account_view import AccountView
from ecs_medic.lab.iam_policy import Request, evaluate
from ecs_medic.lab.stubs_json import JsonStub
from ecs_medic.lab.wire import form, json_document, read_body, signer

Stub = Callable[[dict[str, list[str]], str], tuple[str, str]]  # form, account -> status, xml
_NS = "https://iam.amazonaws.com/doc/2010-05-08/"


def answer(
    operation: tuple[str, str],
    environ: dict[str, Any],
    account: str,
    start_response: Callable[..., Any],
) -> Iterable[bytes] | None:
    """The lab's answer to a stubbed operation, or None to let moto serve the request."""
    inprocess.bump()
    json_stub = JSON_STUBS.get(operation)
    if json_stub is not None:
        scope = Scope(account, signer(environ)[1])
        reply = json_stub(json_document(read_body(environ)), scope)
        if reply is None:
            return None
        status, document = reply
        start_response(status, [("Content-Type", "application/x-amz-json-1.1")])
        return [json.dumps(document).encode()]
    stub = STUBS.get(operation)
    if stub is None:
        return None
    status, xml = stub(form(environ, read_body(environ)), account)
    start_response(status, [("Content-Type", "text/xml")])
    return [xml.encode()]


def _members(form: dict[str, list[str]], prefix: str) -> list[str]:
    """`Prefix.member.N` values in N order."""
    numbered = []
    for key, values in form.items():
        head, _, index = key.rpartition(".member.")
        if head == prefix and index.isdigit():
            numbered.append((int(index), values[0]))
    return [value for _, value in sorted(numbered)]


def _context(form: dict[str, list[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    entries = []
    for index in range(1, 51):
        key = form.get(f"ContextEntries.member.{index}.ContextKeyName")
        if not key:
            break
        values = _members(form, f"ContextEntries.member.{index}.ContextKeyValues")
        entries.append((key[0], tuple(values)))
    return tuple(entries)


def simulate_principal_policy(form: dict[str, list[str]], account: str) -> tuple[str, str]:
    """iam:SimulatePrincipalPolicy for a role, from its real policies."""
    source = form.get("PolicySourceArn", [""])[0]
    role = AccountView(account, "us-east-1", "", "").role(source) if ":role/" in source else None
    if role is None:
        return "404 Not Found", _error(
            "NoSuchEntity", f"The role with name {source.rsplit('/', 1)[-1]} cannot be found."
        )
    extra = tuple((f"input{i}", doc) for i, doc in enumerate(_members(form, "PolicyInputList")))
    policies = role.policies + extra
    resources = _members(form, "ResourceArns") or ["*"]
    context = _context(form)
    members = []
    for action in _members(form, "ActionNames"):
        decisions = [evaluate(policies, Request(action, r, context)) for r in resources]
        members.append(_result(action, resources, decisions))
    body = (
        f'<SimulatePrincipalPolicyResponse xmlns="{_NS}"><SimulatePrincipalPolicyResult>'
        f"<IsTruncated>false</IsTruncated><EvaluationResults>{''.join(members)}"
        "</EvaluationResults></SimulatePrincipalPolicyResult>"
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        "</SimulatePrincipalPolicyResponse>"
    )
    return "200 OK", body


def _result(action: str, resources: list[str], decisions: list[Any]) -> str:
    """One EvaluationResults member: the most restrictive decision, and one per resource."""
    order = {"explicitDeny": 0, "implicitDeny": 1, "allowed": 2}
    overall = min((d.decision for d in decisions), key=order.__getitem__)
    statements = "".join(
        f"<member><SourcePolicyId>{escape(m.split('#')[0])}</SourcePolicyId>"
        "<SourcePolicyType>IAM Policy</SourcePolicyType></member>"
        for d in decisions
        for m in d.matched
    )
    specific = "".join(
        f"<member><EvalResourceName>{escape(r)}</EvalResourceName>"
        f"<EvalResourceDecision>{d.decision}</EvalResourceDecision></member>"
        for r, d in zip(resources, decisions, strict=True)
    )
    name = resources[0] if len(resources) == 1 else "*"
    return (
        f"<member><EvalActionName>{escape(action)}</EvalActionName>"
        f"<EvalResourceName>{escape(name)}</EvalResourceName>"
        f"<EvalDecision>{overall}</EvalDecision>"
        f"<MatchedStatements>{statements}</MatchedStatements><MissingContextValues/>"
        f"<ResourceSpecificResults>{specific}</ResourceSpecificResults></member>"
    )


def _error(code: str, message: str) -> str:
    return (
        f'<ErrorResponse xmlns="{_NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{escape(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId>"
        "</ErrorResponse>"
    )


STUBS: dict[tuple[str, str], Stub] = {
    ("iam", "SimulatePrincipalPolicy"): simulate_principal_policy,
}
# every JSON-protocol stub, by (service, operation)
JSON_STUBS: dict[tuple[str, str], JsonStub] = {
    **stubs_json.JSON_STUBS,
    **stubs_quotas.JSON_STUBS,
    **stubs_trail.JSON_STUBS,
}
