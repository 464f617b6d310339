"""Every API request is audited (issue 16): who, which token (its public
prefix and name), the endpoint, the filters asked for, how many rows went
out, and for a full pull the SHA-256 of what was sent."""

from audit.services import audit_record


def api_audit(request, *, rows: int, filters: dict | None = None, sha256: str = ""):
    token = request.auth
    audit_record(
        request=request,
        actor=token.user,
        action="api.request",
        obj=token,
        details={
            "token": token.prefix,
            "token_name": token.name,
            "endpoint": request.path,
            "filters": filters or {},
            "rows": rows,
            **({"sha256": sha256} if sha256 else {}),
        },
    )
