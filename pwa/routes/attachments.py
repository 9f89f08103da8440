"""An item's attachments on the declare blueprint: the applicant uploads files while the item
is editable; the uploader and the office download them (every download is audited).

The views register on ``declare.blueprint`` when ``pwa.routes.declare`` imports this module,
so their endpoints are ``declare.upload_attachment`` and ``declare.download_attachment``.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Response, abort, current_app, flash, request
from flask_babel import gettext as _
from sqlalchemy import select

from auth.access import current
from auth.permissions import requires, signed_in
from auth.roles import Permission
from auth.web import translate
from pwa.audit_log import record_or_refuse
from pwa.domain import workflow
from pwa.domain.attachments import AttachmentRejected, AttachmentStore
from pwa.domain.items import service
from pwa.extensions import db
from pwa.models import ItemAttachment, Unit
from pwa.routes.declare import DECLARE, blueprint
from pwa.routes.declare_forms import make_form
from pwa.routes.declare_pages import own_item, redirect_to_edit, redirect_to_item, render_edit
from pwa.routes.items_support import abort_for, context, message_of, participant

SEE_OTHERS_ATTACHMENTS = Permission.REVIEW_ITEMS


def _store() -> AttachmentStore:
    return AttachmentStore(
        Path(current_app.instance_path) / "attachments",
        max_bytes=context().policy.attachment_max_bytes,
    )


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII ``filename`` for old clients and the real name as
    ``filename*`` (RFC 5987/6266), so Chinese names survive every browser."""
    suffix = Path(filename).suffix
    if not (suffix.isascii() and suffix[1:].isalnum()):
        suffix = ""
    plain = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    plain = "".join(c for c in plain if c.isprintable() and c not in '"\\;').strip()
    stem = plain[: -len(suffix)] if suffix and plain.endswith(suffix) else plain
    if not stem.strip(" ._-"):
        plain = "attachment" + suffix
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


@blueprint.post("/items/<int:item_id>/attachments")
@requires(DECLARE)
def upload_attachment(item_id: int) -> Any:
    who = participant()
    item = own_item(who, item_id)
    if item.state not in workflow.EDITABLE:
        flash(_("事项已提交，不能再添加附件；如需补充请联系编办退回补正"), "error")
        return redirect_to_item(item_id)
    upload = request.files.get("file")
    error, status = None, 400
    if upload is None or not upload.filename:
        error = _("请选择要上传的文件")
    else:
        store = _store()
        data = upload.stream.read(store.max_bytes + 1)
        try:
            stored = store.save(data, upload.filename)
            with db.write() as session:
                service.attach(
                    session,
                    who,
                    item_id,
                    filename=stored.filename,
                    content_type=stored.content_type,
                    size=stored.size,
                    sha256=stored.sha256,
                    ctx=context(),
                )
        except AttachmentRejected as rejected:
            error = translate(rejected)
        except service.ItemError as failure:
            abort_for(failure)
            error, status = message_of(failure), failure.status
        else:
            flash(_("已上传附件：%(name)s", name=stored.filename), "success")
            return redirect_to_edit(item_id)
    unit = db.session.get(Unit, item.unit_id)
    form = make_form(item.item_type, unit, who, item=item, prefill=True)
    return render_edit(item, form, error=error), status


@blueprint.get("/items/<int:item_id>/attachments/<int:attachment_id>")
@signed_in
def download_attachment(item_id: int, attachment_id: int) -> Response:
    """The file as uploaded, for its uploader and the office; everyone else gets a 404."""
    who = participant()
    try:
        item = service.get_visible(db.session, who, item_id)
    except service.ItemError:
        abort(404)
    if item.requester_id != who.account_id and not current().can(SEE_OTHERS_ATTACHMENTS):
        abort(404)
    attachment = db.session.scalar(
        select(ItemAttachment).where(
            ItemAttachment.id == attachment_id, ItemAttachment.item_id == item.id
        )
    )
    if attachment is None:
        abort(404)
    try:
        data = _store().open(attachment.sha256)
    except (FileNotFoundError, ValueError):
        abort(404)
    record_or_refuse(
        "item.attachment.download",
        object_type="item_attachment",
        object_id=attachment.id,
        detail={"item": item.id},
    )
    response = Response(data, content_type=attachment.content_type)
    response.headers["Content-Disposition"] = content_disposition(attachment.filename)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
