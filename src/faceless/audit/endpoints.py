from __future__ import annotations

from fastapi import APIRouter

from faceless.api.deps import ReadSession
from faceless.api.pagination import ListEnvelope, Page, envelope
from faceless.audit import repository
from faceless.audit.schemas import AuditEventOut, ChainVerification
from faceless.audit.service import verify_chain
from faceless.auth.dependencies import AdminUser

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=ListEnvelope[AuditEventOut])
async def list_audit_events(
    admin: AdminUser, session: ReadSession, page: Page
) -> ListEnvelope[AuditEventOut]:
    """Newest first."""
    events = await repository.list_events(session, limit=page.limit, offset=page.offset)
    return envelope(AuditEventOut, events, await repository.count_events(session), page)


@router.get("/verify", response_model=ChainVerification, response_model_exclude_none=True)
async def verify(admin: AdminUser, session: ReadSession) -> ChainVerification:
    report = await verify_chain(session)
    return ChainVerification(
        valid=report.valid, entries=report.entries, first_bad_id=report.first_bad_id
    )
