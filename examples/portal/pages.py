"""The server-rendered pages of the three sides (Jinja2 templates in ``templates/``).

Every form posts its session's CSRF token (``check_csrf`` guards the whole router); a command
that mdreg refuses comes back as the same page with the error — its label, field and message, and
for a refusal every rule with its citation — never as a server error.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

import mdreg
from mdreg import Actor, MdregError

from . import forms
from .auth import LoginRefused, current, start_session
from .phone import recovery_codes
from .responses import HOME, problem, status_of

if TYPE_CHECKING:
    from .app import Portal

Text = Annotated[str, Form()]


def router(portal: Portal) -> APIRouter:
    routes = APIRouter()
    registry = portal.registry

    def done(request: Request, message: str, to: str) -> RedirectResponse:
        portal.deliver()
        portal.flash(request, message)
        return RedirectResponse(to, 303)

    def attempt(request: Request, command: Callable[[], Any], message: str, to: str,
                again: Callable[[dict[str, Any], int], Response]) -> Response:
        """Run ``command``; on success flash ``message`` and go to ``to``, on an mdreg error show
        the page again (``again``) with the error."""
        try:
            command()
        except MdregError as error:
            portal.deliver()
            return again(problem(error), status_of(error))
        return done(request, message, to)

    # -- public: home, login, sign-up ---------------------------------------------------------

    @routes.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        who = current(request)
        return RedirectResponse(HOME[who.kind] if who else "/login", 303)

    @routes.get("/login", response_class=HTMLResponse)
    def login_page(request: Request) -> Response:
        return portal.page(request, "login.html", current(request))

    @routes.post("/login")
    def login(request: Request, login_name: Text, password: Text) -> Response:
        try:
            who = portal.login(request, login_name.strip(), password)
        except LoginRefused as refused:
            error = ({"label": "登录失败次数过多，请稍后再试", "message": "too many failed logins"}
                     if refused.throttled else
                     {"label": "用户名或密码错误", "message": "wrong login name or password"})
            return portal.page(request, "login.html", None, status=429 if refused.throttled else 401,
                               error=error, login_name=login_name)
        except MdregError as error:
            return portal.page(request, "login.html", None, status=status_of(error),
                               error=problem(error), login_name=login_name)
        return RedirectResponse(HOME[who.kind], 303)

    @routes.post("/logout")
    def logout(request: Request) -> Response:
        request.session.clear()
        return RedirectResponse("/login", 303)

    @routes.get("/signup", response_class=HTMLResponse)
    def signup_page(request: Request) -> Response:
        return portal.page(request, "signup.html", current(request), form={})

    @routes.post("/signup")
    def signup(request: Request, name: Text, id_number: Text, login_name: Text, password: Text,
               phone: Text, email: Annotated[str, Form()] = "",
               qualification_no: Annotated[str, Form()] = "") -> Response:
        form = {"name": name, "login_name": login_name, "phone": phone, "email": email,
                "qualification_no": qualification_no}  # never the ID number or the password
        try:
            account = registry.accounts.sign_up(
                name=name.strip(), id_number=id_number, login_name=login_name.strip(),
                password=password, phone=phone, email=email.strip() or None,
                qualification_no=qualification_no.strip() or None)
        except MdregError as error:
            return portal.page(request, "signup.html", None, status=status_of(error),
                               error=problem(error), form=form)
        physician = registry.physician(account.physician_id)
        start_session(request, Actor.physician(account.physician_id), physician.name,
                      account.login_name)
        return done(request, "账户已注册，请验证手机号", "/me/verify")

    # -- the demo phone -------------------------------------------------------------------------

    @routes.get("/phone", response_class=HTMLResponse)
    def phone(request: Request) -> Response:
        who = portal.who(request)
        portal.deliver()
        recipients = [f"{who.kind}:{who.actor.party_id}"]
        if who.kind == "physician":
            account = registry.accounts.account(who.actor)
            recipients += [c for c in (account.phone and account.phone.national,
                                       account.email and account.email.address) if c]
        return portal.page(request, "phone.html", who, messages=portal.phone.messages(*recipients))

    # -- 找回密码: an anonymous session recovers a physician's password -------------------------

    codes = registry.accounts.settings.codes
    sent = (f"如该用户名存在且所选联系方式已验证，验证码已发送（{codes.ttl.seconds // 60} 分钟内有效；"
            f"同一号码每小时最多 {codes.sends_per_hour} 条，未收到请稍后再试）。")

    def recovering(request: Request) -> dict[str, str] | None:
        """The recovery in progress in this session: the login name typed, the channel, since."""
        found = request.session.get("recovery")
        return found if isinstance(found, dict) else None

    @routes.get("/recover", response_class=HTMLResponse)
    def recover_page(request: Request) -> Response:
        return portal.page(request, "recover.html", current(request), form={})

    @routes.post("/recover")
    def recover(request: Request, login_name: Text, channel: Annotated[str, Form()] = "sms"
                ) -> Response:
        chosen = mdreg.Channel.EMAIL if channel == "email" else mdreg.Channel.SMS
        since = registry.clock.now()
        try:
            registry.accounts.start_recovery(login_name.strip(), chosen)
        except mdreg.QuotaExceeded:
            pass  # answered like any other request: only a known account has a quota to reach
        except MdregError as error:  # a malformed login name, whoever has it
            return portal.page(request, "recover.html", current(request), status=status_of(error),
                               error=problem(error), form={"login_name": login_name,
                                                          "channel": chosen.value})
        request.session["recovery"] = {"login_name": login_name.strip(), "channel": chosen.value,
                                       "since": since.isoformat()}
        return done(request, sent, "/recover/verify")

    @routes.get("/recover/verify", response_class=HTMLResponse)
    def recover_verify_page(request: Request, error: dict[str, Any] | None = None,
                            status: int = 200) -> Response:
        recovery = recovering(request)
        if recovery is None:
            return RedirectResponse("/recover", 303)
        return portal.page(request, "recover_verify.html", current(request), recovery=recovery,
                           error=error, status=status)

    @routes.post("/recover/verify")
    def recover_verify(request: Request, code: Text, new_password: Text,
                       new_password2: Text) -> Response:
        recovery = recovering(request)
        if recovery is None:
            return RedirectResponse("/recover", 303)
        if new_password != new_password2:
            return recover_verify_page(request, {
                "label": "两次输入的新密码不一致", "message": "the two new passwords differ",
                "field": "new_password2", "field_label": "确认新密码"}, 400)
        try:
            registry.accounts.finish_recovery(recovery["login_name"], code.strip(), new_password)
        except MdregError as error:
            portal.deliver()
            return recover_verify_page(request, problem(error), status_of(error))
        request.session.pop("recovery", None)
        return done(request, "密码已重新设置，请使用新密码登录", "/login")

    @routes.get("/recover/phone", response_class=HTMLResponse)
    def recover_phone(request: Request) -> Response:
        recovery = recovering(request)
        if recovery is None:
            return RedirectResponse("/recover", 303)
        portal.deliver()
        since = datetime.fromisoformat(recovery["since"])
        return portal.page(request, "phone.html", current(request), recovery=recovery,
                           messages=recovery_codes(registry, portal.phone,
                                                   recovery["login_name"], since))

    # -- 个人端: steps 2 to 4 ---------------------------------------------------------------------

    def account_of(who: Any) -> mdreg.Account:
        return registry.accounts.account(who.actor)

    @routes.get("/me/verify", response_class=HTMLResponse)
    def verify_page(request: Request, error: dict[str, Any] | None = None, status: int = 200
                    ) -> Response:
        who = portal.who(request, "physician")
        account = account_of(who)
        if account.state != "registered":
            return RedirectResponse("/me", 303)
        return portal.page(request, "verify.html", who, account=account, error=error, status=status)

    def verify_again(request: Request) -> Callable[[dict[str, Any], int], Response]:
        return lambda error, status: verify_page(request, error, status)

    @routes.post("/me/verify/send")
    def send_code(request: Request, channel: Text) -> Response:
        who = portal.who(request, "physician")
        send = (registry.accounts.send_email_code if channel == "email"
                else registry.accounts.send_phone_code)
        label = "邮箱" if channel == "email" else "手机"
        return attempt(request, lambda: send(who.actor), f"验证码已发送至{label}（见“演示手机”）",
                       "/me/verify", verify_again(request))

    @routes.post("/me/verify")
    def verify(request: Request, channel: Text, code: Text) -> Response:
        who = portal.who(request, "physician")
        check = (registry.accounts.verify_email if channel == "email"
                 else registry.accounts.verify_phone)
        return attempt(request, lambda: check(who.actor, code.strip()), "验证成功，请激活账户",
                       "/me/activate", verify_again(request))

    @routes.get("/me/activate", response_class=HTMLResponse)
    def activate_page(request: Request, error: dict[str, Any] | None = None, status: int = 200
                      ) -> Response:
        who = portal.who(request, "physician")
        account = registry.accounts.refresh(who.actor)  # auto-activation happens on refresh
        if account.state == "registered":
            return RedirectResponse("/me/verify", 303)
        if account.state == "active" and error is None:
            return done(request, "账户已激活", "/me")
        registrations = registry.view(who.actor).registrations(who.actor.party_id)
        return portal.page(request, "activate.html", who, account=account, error=error,
                           status=status, registered=any(r.is_valid for r in registrations))

    @routes.post("/me/activate")
    def activate(request: Request, code: Text) -> Response:
        who = portal.who(request, "physician")
        return attempt(request, lambda: registry.accounts.activate(who.actor, code.strip()),
                       "账户已激活", "/me",
                       lambda error, status: activate_page(request, error, status))

    @routes.post("/me/activate/qualification")
    def activate_with_qualification(request: Request, certificate_no: Text) -> Response:
        who = portal.who(request, "physician")
        return attempt(request, lambda: registry.accounts.activate_with_qualification(
            who.actor, certificate_no.strip()), "账户已激活", "/me",
            lambda error, status: activate_page(request, error, status))

    # -- 个人端: step 5, the personal information -------------------------------------------------

    @routes.get("/me", response_class=HTMLResponse)
    def me(request: Request) -> Response:
        who = portal.who(request, "physician")
        account = account_of(who)
        if account.state != "active":
            return RedirectResponse("/me/verify" if account.state == "registered" else "/me/activate",
                                    303)
        view = registry.view(who.actor)
        return portal.page(
            request, "me.html", who, account=account, physician=view.physician(who.actor.party_id),
            qualifications=registry.accounts.qualifications(who.actor),
            practice=registry.accounts.practice(who.actor),
            assessments=registry.accounts.assessments(who.actor),
            institution_name=portal.institution_name)

    # -- 个人端: step 6, security settings ----------------------------------------------------------

    @routes.get("/me/security", response_class=HTMLResponse)
    def security_page(request: Request, error: dict[str, Any] | None = None, status: int = 200
                      ) -> Response:
        who = portal.who(request, "physician")
        return portal.page(request, "security.html", who, account=account_of(who), error=error,
                           status=status)

    def security_again(request: Request) -> Callable[[dict[str, Any], int], Response]:
        return lambda error, status: security_page(request, error, status)

    @routes.post("/me/security/password")
    def change_password(request: Request, current_password: Text, new_password: Text) -> Response:
        who = portal.who(request, "physician")
        return attempt(request, lambda: registry.accounts.change_password(
            who.actor, current_password, new_password), "登录密码已修改", "/me/security",
            security_again(request))

    @routes.post("/me/security/contact")
    def request_contact_change(request: Request, kind: Text, password: Text, value: Text
                               ) -> Response:
        who = portal.who(request, "physician")
        start = (registry.accounts.request_email_change if kind == "email"
                 else registry.accounts.request_phone_change)
        return attempt(request, lambda: start(who.actor, password, value.strip()),
                       "验证码已发送至新的联系方式（见“演示手机”）", "/me/security",
                       security_again(request))

    @routes.post("/me/security/contact/confirm")
    def confirm_contact_change(request: Request, kind: Text, code: Text) -> Response:
        who = portal.who(request, "physician")
        confirm = (registry.accounts.confirm_email_change if kind == "email"
                   else registry.accounts.confirm_phone_change)
        return attempt(request, lambda: confirm(who.actor, code.strip()), "联系方式已修改",
                       "/me/security", security_again(request))

    # -- 个人端: step 7, personal information, photo and department --------------------------------

    @routes.get("/me/info", response_class=HTMLResponse)
    def info_page(request: Request, error: dict[str, Any] | None = None, status: int = 200
                  ) -> Response:
        who = portal.who(request, "physician")
        practice = registry.accounts.practice(who.actor)
        departments: tuple[str, ...] = ()
        for registration in practice.registrations:
            if registration.is_valid:
                departments = registry.institution(registration.primary_institution_id).departments
                break
        return portal.page(request, "info.html", who, info=practice.info, error=error,
                           status=status, changes=registry.accounts.changes(who.actor),
                           departments=departments)

    def info_again(request: Request) -> Callable[[dict[str, Any], int], Response]:
        return lambda error, status: info_page(request, error, status)

    @routes.post("/me/info")
    def change_info(request: Request, education: Annotated[str, Form()] = "",
                    school: Annotated[str, Form()] = "", title: Annotated[str, Form()] = ""
                    ) -> Response:
        who = portal.who(request, "physician")
        return attempt(request, lambda: registry.accounts.request_info_change(
            who.actor, education=education.strip() or None, school=school.strip() or None,
            title=title.strip() or None), "已提交，待执业机构审核", "/me/info", info_again(request))

    @routes.post("/me/photo")
    def upload_photo(request: Request, photo: Annotated[UploadFile, File()]) -> Response:
        who = portal.who(request, "physician")
        data = photo.file.read()
        return attempt(request, lambda: registry.accounts.upload_photo(who.actor, data),
                       "照片已上传，待执业机构审核", "/me/info", info_again(request))

    @routes.get("/me/photo")
    def my_photo(request: Request) -> Response:
        who = portal.who(request, "physician")
        data = registry.accounts.photo(who.actor)
        if data is None:
            raise mdreg.NotFoundError("photo", "")
        kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
        return Response(data, media_type=kind, headers={"Cache-Control": "no-store"})

    @routes.post("/me/department")
    def choose_department(request: Request, department: Text) -> Response:
        who = portal.who(request, "physician")
        return attempt(request, lambda: registry.accounts.choose_department(who.actor, department),
                       "科室已设置", "/me/info", info_again(request))

    # -- 个人端: step 8, business applications -----------------------------------------------------

    @routes.get("/me/apply", response_class=HTMLResponse)
    def business_list(request: Request) -> Response:
        who = portal.who(request, "physician")
        types = [(kind, forms.DESCRIPTIONS.get(kind.value, ""),
                  forms.declaration_for(kind).materials) for kind in forms.business_types()]
        return portal.page(request, "apply_list.html", who, types=types)

    def apply_page(request: Request, who: Any, kind: mdreg.BusinessType, *,
                   error: dict[str, Any] | None = None, status: int = 200,
                   values: dict[str, Any] | None = None) -> Response:
        choices = forms.Choices.of(registry, who.actor.party_id, portal.institutions)
        return portal.page(request, "apply.html", who, kind=kind,
                           description=forms.DESCRIPTIONS.get(kind.value, ""),
                           fields=forms.fields(kind, choices), values=values or {},
                           materials=forms.declaration_for(kind).materials, error=error,
                           status=status)

    @routes.get("/me/apply/{business}", response_class=HTMLResponse)
    def apply_form(request: Request, business: str) -> Response:
        who = portal.who(request, "physician")
        return apply_page(request, who, forms.business(business))

    @routes.post("/me/apply/{business}")
    async def apply(request: Request, business: str) -> Response:
        who = portal.who(request, "physician")
        kind = forms.business(business)
        submitted = await request.form()
        values = {k: submitted.getlist(k) for k in submitted if k != "csrf_token"}

        def submit() -> Response:
            try:
                created = registry.apply(who.actor, forms.build(kind, values))
            except MdregError as error:
                return apply_page(request, who, kind, error=problem(error), status=status_of(error),
                                  values={k: v[0] if len(v) == 1 else v for k, v in values.items()})
            return done(request, "申请已提交，待执业机构确认", f"/applications/{created.id}")
        return await run_in_threadpool(submit)

    @routes.get("/me/applications", response_class=HTMLResponse)
    def my_applications(request: Request) -> Response:
        who = portal.who(request, "physician")
        statuses = registry.view(who.actor).my_applications()
        return portal.page(request, "my_applications.html", who, statuses=statuses,
                           institution_name=portal.institution_name)

    # -- any side: one application, its notices and its printable form ----------------------------

    @routes.get("/applications/{application_id}", response_class=HTMLResponse)
    def application(request: Request, application_id: str, error: dict[str, Any] | None = None,
                    status: int = 200) -> Response:
        who = portal.who(request)
        return portal.page(request, "application.html", who, error=error, status=status,
                           **portal.application_context(who, application_id))

    @routes.post("/applications/{application_id}/events/{event}")
    def fire(request: Request, application_id: str, event: str, version: Annotated[int, Form()],
             reason: Annotated[str, Form()] = "", corrections: Annotated[str, Form()] = ""
             ) -> Response:
        who = portal.who(request)
        items = tuple(line.strip() for line in corrections.splitlines() if line.strip())
        back = f"/applications/{application_id}"
        return attempt(request, lambda: registry.fire(
            application_id, event, who.actor, reason=reason.strip(), corrections=items,
            expected_version=version), "已办理", back,
            lambda error, status: application(request, application_id, error, status))

    @routes.get("/applications/{application_id}/form", response_class=HTMLResponse)
    def application_form(request: Request, application_id: str) -> Response:
        who = portal.who(request)
        registry.view(who.actor).application(application_id)  # visible to this actor, or 404
        return HTMLResponse(registry.application_form(application_id).html)

    @routes.get("/notices/{notice_id}", response_class=HTMLResponse)
    def notice(request: Request, notice_id: str) -> Response:
        who = portal.who(request)
        return HTMLResponse(registry.view(who.actor).notice(notice_id).html)

    # -- 机构端 -----------------------------------------------------------------------------------

    @routes.get("/org", response_class=HTMLResponse)
    def institution_home(request: Request, error: dict[str, Any] | None = None, status: int = 200
                         ) -> Response:
        who = portal.who(request, "institution")
        view = registry.view(who.actor)
        inbox = registry.accounts.work_list(who.actor)
        return portal.page(request, "org.html", who, error=error, status=status,
                           work=view.work_list(limit=100), counts=view.counts(),
                           changes=inbox.changes, institution=registry.institution(who.actor.party_id),
                           physician_name=lambda pid: view.physician(pid).name,
                           labels=lambda app: forms.declaration_for(app.type).definition.state(
                               app.state).label)

    def org_again(request: Request) -> Callable[[dict[str, Any], int], Response]:
        return lambda error, status: institution_home(request, error, status)

    @routes.post("/org/changes/{change_id}/approve")
    def approve_change(request: Request, change_id: str) -> Response:
        who = portal.who(request, "institution")
        return attempt(request, lambda: registry.accounts.approve_change(who.actor, change_id),
                       "已审核通过", "/org", org_again(request))

    @routes.post("/org/changes/{change_id}/reject")
    def reject_change(request: Request, change_id: str, reason: Text) -> Response:
        who = portal.who(request, "institution")
        return attempt(request, lambda: registry.accounts.reject_change(who.actor, change_id,
                                                                        reason.strip()),
                       "已退回", "/org", org_again(request))

    @routes.post("/org/activation-code")
    def issue_code(request: Request, physician_id: Text) -> Response:
        who = portal.who(request, "institution")
        return attempt(request, lambda: registry.accounts.issue_activation_code(
            who.actor, physician_id.strip()), "激活码已发送至医师的手机或邮箱", "/org",
            org_again(request))

    @routes.post("/org/settings")
    def settings(request: Request, departments: Annotated[str, Form()] = "",
                 auto_activation: Annotated[str, Form()] = "") -> Response:
        who = portal.who(request, "institution")
        names = [d.strip() for d in departments.replace("，", ",").split(",") if d.strip()]
        return attempt(request, lambda: registry.accounts.configure_institution(
            who.actor, departments=names, auto_activation=auto_activation == "on"),
            "设置已保存", "/org", org_again(request))

    # -- 卫生健康委 --------------------------------------------------------------------------------

    @routes.get("/dept", response_class=HTMLResponse)
    def department_home(request: Request, overdue: str = "") -> Response:
        who = portal.who(request, "authority")
        view = registry.view(who.actor)
        where = mdreg.WorkFilter(overdue=True) if overdue else None
        registration = forms.declaration_for(mdreg.BusinessType.REGISTRATION).definition
        counts = {registration.state(state).label: n for state, n in view.counts().items()}
        return portal.page(request, "dept.html", who, work=view.work_list(where, limit=100),
                           counts=counts, overdue=bool(overdue),
                           physician_name=lambda pid: view.physician(pid).name,
                           institution_name=portal.institution_name,
                           labels=lambda app: forms.declaration_for(app.type).definition.state(
                               app.state).label)

    @routes.post("/dept/claim/{application_id}")
    def claim(request: Request, application_id: str) -> Response:
        who = portal.who(request, "authority")
        return attempt(request, lambda: registry.view(who.actor).claim(application_id),
                       "已认领", f"/applications/{application_id}",
                       lambda error, status: application(request, application_id, error, status))

    return routes
