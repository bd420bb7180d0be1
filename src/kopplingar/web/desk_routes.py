"""The review desk's pages and actions (see :mod:`kopplingar.web.desk` for who may do what)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kopplingar.domain.errors import DomainError, NotFoundError
from kopplingar.notify import templates as mail_templates
from kopplingar.queue.states import CaseStatus
from kopplingar.services import mail_view, review, staff
from kopplingar.services.staff import Action, StaffUser
from kopplingar.validation.reading import FIELD_NAMES
from kopplingar.validation.reasons import EXPLANATIONS, Code
from kopplingar.web.desk import Desk, desk_of, safe_desk_next
from kopplingar.web.desk_view import REJECT_CODES, case_view
from kopplingar.web.pages import RefusedError, done, flash
from kopplingar.web.previews import PreviewUnavailableError

router = APIRouter(prefix="/desk")
BAD_LOGIN = "Fel e-postadress eller lösenord, eller för många misslyckade försök."
MAX_VALUE = 500
MAX_NOTE = 2000


# --------------------------------------------------------------------------- signing in


@router.get("", include_in_schema=False)
def desk_home() -> RedirectResponse:
    return RedirectResponse("/desk/cases", status_code=303)


@router.get("/login", response_class=HTMLResponse, response_model=None)
def login_form(
    request: Request, next: str = "/desk/cases", desk: Desk = Depends(desk_of)
) -> Response:
    if desk.me(request) is not None:
        return RedirectResponse(safe_desk_next(next), status_code=303)
    return desk.page(request, "desk/login.html", next=safe_desk_next(next), flash=flash(request))


@router.post("/login", response_class=HTMLResponse, response_model=None)
def login(
    request: Request,
    *,
    email: str = Form(""),
    password: str = Form(""),
    next: str = Form("/desk/cases"),
    csrf_token: str = Form(""),
    desk: Desk = Depends(desk_of),
) -> Response:
    desk.pages.check_csrf(request, csrf_token)
    principal = staff.authenticate(desk.app.db, email[:320], password[:400])
    if principal is None:
        return desk.page(
            request,
            "desk/login.html",
            status=401,
            next=safe_desk_next(next),
            email=email[:320],
            error=BAD_LOGIN,
        )
    response = RedirectResponse(safe_desk_next(next), status_code=303)
    desk.pages.auth.sign_in(response, principal)
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form(""), desk: Desk = Depends(desk_of)) -> Response:
    desk.posted(request, csrf_token, Action.VIEW)
    response = RedirectResponse("/desk/login?done=signed_out", status_code=303)
    desk.pages.auth.sign_out(request, response)
    return response


# --------------------------------------------------------------------------- the queue


@router.get("/cases", response_class=HTMLResponse)
def queue(
    request: Request,
    status: str = "review",
    reason: str = "",
    desk: Desk = Depends(desk_of),
) -> HTMLResponse:
    user = desk.staff(request)
    if status not in {s.value for s in CaseStatus}:
        raise RefusedError(404, "Det finns ingen sådan lista.")
    if reason and reason not in {c.value for c in Code}:
        raise RefusedError(404, "Det finns inget sådant skäl.")
    items, counts = review.list_cases(desk.app.db, status=status)
    by_reason = Counter(code for item in items for code in set(item["reasons"]))
    shown = [i for i in items if not reason or reason in i["reasons"]]
    return desk.page(
        request,
        "desk/queue.html",
        staff_user=user,
        list_status=status,
        reason=reason,
        items=shown,
        counts=counts,
        by_reason=sorted(by_reason.items()),
        reason_texts={c.value: EXPLANATIONS[c][0] for c in Code},
        statuses=[s.value for s in (CaseStatus.REVIEW, CaseStatus.REJECTED, CaseStatus.APPLIED)],
        flash=flash(request),
    )


# --------------------------------------------------------------------------- one case


def _detail(desk: Desk, case_id: int) -> review.CaseDetail:
    try:
        return review.show(desk.app.db, case_id)
    except NotFoundError as error:
        raise RefusedError(404, "Det finns inget sådant ärende.") from error


def _case_page(
    request: Request,
    desk: Desk,
    user: StaffUser,
    case_id: int,
    *,
    status: int = 200,
    error: str | None = None,
    submitted: dict[str, str] | None = None,
) -> HTMLResponse:
    settings = desk.app.settings
    view = case_view(
        _detail(desk, case_id),
        field_threshold=settings.field_confidence,
        signature_threshold=settings.signature_confidence,
    )
    if submitted:
        for f in view.fields:
            f.value = submitted.get(f.name, f.value)
    case = view.case
    scan_subject, scan_body = review.preview_rejection(
        [Code.NEW_SCAN_REQUESTED.value], case["file"], case_id
    )
    held_reply = None
    if case["status"] == CaseStatus.REJECTED.value and case["replied_at"] is None:
        codes = [c for c in case["reasons"] if c in {x.value for x in Code}]
        if codes and case["reply_to"]:
            held_reply = review.preview_rejection(codes, case["file"], case_id)
    return desk.page(
        request,
        "desk/case.html",
        status=status,
        staff_user=user,
        view=view,
        case=case,
        error=error,
        flash=flash(request),
        reject_codes=[(c.value, EXPLANATIONS[c][0]) for c in REJECT_CODES],
        chosen=set(case["reasons"]),
        scan_preview=(mail_templates.reply_subject(case["subject"], scan_subject), scan_body),
        held_reply=held_reply,
        may_reopen=user.may(_reopen_action(view.rejected_by_person)),
    )


def _reopen_action(by_person: bool) -> Action:
    return Action.REOPEN_PERSON_REJECTION if by_person else Action.REOPEN_MACHINE_REJECTION


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: int, desk: Desk = Depends(desk_of)) -> HTMLResponse:
    user = desk.staff(request)
    return _case_page(request, desk, user, case_id)


@router.get("/cases/{case_id}/page.png", response_model=None)
def page_image(request: Request, case_id: int, desk: Desk = Depends(desk_of)) -> Response:
    desk.staff(request)
    case = _detail(desk, case_id).case
    try:
        path = desk.previews.png(case.get("storage_key"), case.get("page"))
    except PreviewUnavailableError as error:
        return Response(
            f"Sidan kan inte visas ({error.code}).", status_code=404, media_type="text/plain"
        )
    return FileResponse(
        path, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"}
    )


@router.get("/cases/{case_id}/mail", response_class=HTMLResponse)
def original_mail(request: Request, case_id: int, desk: Desk = Depends(desk_of)) -> HTMLResponse:
    user = desk.staff(request)
    case = _detail(desk, case_id).case
    mail = None
    if case.get("mail_id") is not None:
        raw_store = _raw_store(desk)
        try:
            mail = mail_view.read_mail(desk.app.db, raw_store, case["mail_id"])
        except NotFoundError:
            mail = None
    return desk.page(request, "desk/mail.html", staff_user=user, case=case, mail=mail)


def _raw_store(desk: Desk) -> Any:
    from kopplingar.intake.rawstore import FileRawStore

    return FileRawStore(desk.app.settings.mail_dir / "raw")


# --------------------------------------------------------------------------- actions


def _authorise_on_case(desk: Desk, user: StaffUser, case_id: int) -> review.CaseDetail:
    """Approving or reopening a rejected case needs the right to reopen that kind of rejection."""
    detail = _detail(desk, case_id)
    if detail.case["status"] == CaseStatus.REJECTED.value:
        action = _reopen_action(review.rejected_by_person(detail.events))
        if not user.may(action):
            raise RefusedError(
                403, "Bara en administratör får öppna ett ärende som en person har avvisat."
            )
    return detail


@router.post("/cases/{case_id}/approve", response_class=HTMLResponse, response_model=None)
async def approve(request: Request, case_id: int, desk: Desk = Depends(desk_of)) -> Response:
    form = await request.form()
    values = {k: str(v)[:MAX_VALUE] for k, v in form.multi_items() if isinstance(v, str)}
    return await run_in_threadpool(_approve, request, case_id, desk, values)


def _approve(request: Request, case_id: int, desk: Desk, values: dict[str, str]) -> Response:
    user = desk.posted(request, values.get("csrf_token", ""), Action.DECIDE)
    detail = _authorise_on_case(desk, user, case_id)
    fields = (detail.reading or {}).get("fields") or {}
    submitted = {n: values[f"field.{n}"] for n in FIELD_NAMES if f"field.{n}" in values}
    corrections = {
        name: value.strip()
        for name, value in submitted.items()
        if value.strip() != str((fields.get(name) or {}).get("value") or "").strip()
    }
    try:
        review.approve(desk.app.db, case_id, reviewer=user.actor, corrections=corrections)
    except DomainError as error:
        return _case_page(
            request, desk, user, case_id, status=409, error=error.message, submitted=submitted
        )
    desk.app.deliver_mail()
    return done(f"/desk/cases/{case_id}", "approved")


def _codes(codes: list[str]) -> list[str]:
    known = {c.value for c in REJECT_CODES}
    return [c for c in dict.fromkeys(codes) if c in known]


@router.get("/cases/{case_id}/reject", response_class=HTMLResponse)
def reject_preview(
    request: Request,
    case_id: int,
    code: list[str] = Query([]),
    note: str = "",
    desk: Desk = Depends(desk_of),
) -> HTMLResponse:
    """The reply a rejection with these reasons would send; rejecting is a POST from this page."""
    user = desk.staff(request, Action.DECIDE)
    case = _detail(desk, case_id).case
    codes = _codes(code)
    preview = None
    if codes:
        subject, body = review.preview_rejection(codes, case["file"], case_id)
        preview = (mail_templates.reply_subject(case["subject"], subject), body)
    return desk.page(
        request,
        "desk/reject.html",
        staff_user=user,
        case=case,
        codes=codes,
        texts={c.value: EXPLANATIONS[c][0] for c in Code},
        note=note[:MAX_NOTE],
        preview=preview,
    )


@router.post("/cases/{case_id}/reject", response_class=HTMLResponse, response_model=None)
def reject(
    request: Request,
    case_id: int,
    code: list[str] = Form([]),
    note: str = Form(""),
    csrf_token: str = Form(""),
    desk: Desk = Depends(desk_of),
) -> Response:
    user = desk.posted(request, csrf_token, Action.DECIDE)
    _detail(desk, case_id)
    codes = _codes(code)
    try:
        review.reject(
            desk.app.db,
            case_id,
            reviewer=user.actor,
            codes=codes,
            note=note.strip()[:MAX_NOTE] or None,
        )
    except DomainError as error:
        return _case_page(request, desk, user, case_id, status=409, error=error.message)
    desk.app.deliver_mail()
    return done(f"/desk/cases/{case_id}", "rejected")


@router.post("/cases/{case_id}/rescan", response_class=HTMLResponse, response_model=None)
def rescan(
    request: Request,
    case_id: int,
    note: str = Form(""),
    csrf_token: str = Form(""),
    desk: Desk = Depends(desk_of),
) -> Response:
    user = desk.posted(request, csrf_token, Action.DECIDE)
    _detail(desk, case_id)
    try:
        review.request_new_scan(
            desk.app.db, case_id, reviewer=user.actor, note=note.strip()[:MAX_NOTE] or None
        )
    except DomainError as error:
        return _case_page(request, desk, user, case_id, status=409, error=error.message)
    desk.app.deliver_mail()
    return done(f"/desk/cases/{case_id}", "rescan")


@router.post("/cases/{case_id}/reopen", response_class=HTMLResponse, response_model=None)
def reopen(
    request: Request, case_id: int, csrf_token: str = Form(""), desk: Desk = Depends(desk_of)
) -> Response:
    user = desk.posted(request, csrf_token, Action.REOPEN_MACHINE_REJECTION)
    _authorise_on_case(desk, user, case_id)
    try:
        review.reopen(desk.app.db, case_id, reviewer=user.actor)
    except DomainError as error:
        return _case_page(request, desk, user, case_id, status=409, error=error.message)
    return done(f"/desk/cases/{case_id}", "reopened")


@router.post("/cases/{case_id}/reply", response_class=HTMLResponse, response_model=None)
def send_reply(
    request: Request, case_id: int, csrf_token: str = Form(""), desk: Desk = Depends(desk_of)
) -> Response:
    user = desk.posted(request, csrf_token, Action.DECIDE)
    _detail(desk, case_id)
    try:
        review.send_reply(desk.app.db, case_id, reviewer=user.actor)
    except DomainError as error:
        return _case_page(request, desk, user, case_id, status=409, error=error.message)
    desk.app.deliver_mail()
    return done(f"/desk/cases/{case_id}", "replied")


# --------------------------------------------------------------------------- staff


@router.get("/staff", response_class=HTMLResponse)
def staff_list(request: Request, desk: Desk = Depends(desk_of)) -> HTMLResponse:
    user = desk.staff(request, Action.SEE_STAFF)
    return desk.page(
        request, "desk/staff.html", staff_user=user, users=staff.all_users(desk.app.db)
    )
