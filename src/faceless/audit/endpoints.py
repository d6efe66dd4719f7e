from __future__ import annotations

from fastapi import APIRouter

from faceless.api.auth import AdminUser
from faceless.api.deps import ReadSession, RuntimeDep
from faceless.api.pagination import ListEnvelope, Page, envelope
from faceless.audit import repository
from faceless.audit.schemas import AuditEventOut, ChainVerification
from faceless.db.audit.verify import verify_chain

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=ListEnvelope[AuditEventOut], description="Newest first.")
async def list_audit_events(
    admin: AdminUser, session: ReadSession, page: Page
) -> ListEnvelope[AuditEventOut]:
    events = await repository.list_events(session, limit=page.limit, offset=page.offset)
    return envelope(AuditEventOut, events, await repository.count_events(session), page)


@router.get("/verify", response_model=ChainVerification, response_model_exclude_unset=True)
async def verify(admin: AdminUser, session: ReadSession, runtime: RuntimeDep) -> ChainVerification:
    report = await verify_chain(
        session,
        head_file=runtime.settings.audit_head_file,
        keyring=runtime.data_protection.cipher.keyring,
    )
    if report.valid:
        return ChainVerification(valid=True, entries=report.entries)
    # Set explicitly, so a null first_bad_id is still sent (unset fields are left out).
    return ChainVerification(
        valid=False, entries=report.entries, first_bad_id=report.first_bad_id, reason=report.reason
    )
