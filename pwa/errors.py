"""Error pages in the user's language with a request id: never a traceback, SQL or path."""

from __future__ import annotations

import logging

from flask import Flask, g
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from pwa.domain.audit import AuditUnavailable
from pwa.rendering import render_page

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("请求有误"), _l("提交的内容无法处理，请检查后重试。")),
    401: (_l("登录已失效"), _l("您的登录已结束或已过期。为了安全，请重新登录。")),
    403: (_l("无权访问"), _l("您没有访问此页面的权限。如需开通，请联系安全管理员。")),
    404: (_l("页面不存在"), _l("您要找的页面不存在，或不在您的权限范围内。")),
    405: (_l("操作方式不正确"), _l("此页面不支持这种操作方式，请从应用内的按钮进入。")),
    409: (_l("内容已变更"), _l("此内容在您打开后已被修改，请刷新页面，核对后重新操作。")),
    413: (_l("文件太大"), _l("上传的内容超过了大小限制，请压缩或拆分后重试。")),
    429: (_l("操作过于频繁"), _l("请稍候片刻再试。")),
    500: (
        _l("系统出错"),
        _l("服务器处理请求时出错，已记录。请稍后重试；如仍有问题，请联系管理员并提供请求编号。"),
    ),
    503: (_l("服务暂不可用"), _l("系统正在维护或暂时繁忙，请稍后重试。")),
}
CSRF_MESSAGE = _l("页面已过期或缺少安全令牌，请刷新页面后重新提交。")


def render_error(code: int, message: object | None = None) -> tuple[str, int]:
    title, default_message = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    body = render_page(
        "errors/error.html",
        code=code,
        title=title,
        message=message or default_message,
        request_id=g.get("request_id", "-"),
    )
    return body, code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(_error: CSRFError) -> tuple[str, int]:
        return render_error(400, CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[str, int, list] | HTTPException:
        if error.code is None or error.code < 400:
            return error  # redirects raised as exceptions pass through untouched
        # Some refusals say why (a blocked account, a network outside the allowlist).
        body, code = render_error(error.code, getattr(error, "user_message", None))
        # Keep Allow (405), Retry-After (429/503) and the like; the body is ours.
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        return body, code, headers

    @app.errorhandler(AuditUnavailable)
    def _audit_unavailable(_error: AuditUnavailable) -> tuple[str, int]:
        # The change and its audit record were one transaction: neither happened.
        log.error("audit log unavailable, request id %s", g.get("request_id", "-"))
        return render_error(503)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple:
        if isinstance(error, HTTPException):
            return _http_error(error)
        log.exception("unhandled error, request id %s", g.get("request_id", "-"))
        return render_error(InternalServerError.code)
