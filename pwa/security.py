"""The security baseline every page inherits: headers, strict CSP, caching defaults."""

from __future__ import annotations

from flask import Flask, Response, request

from pwa.extensions import talisman

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "manifest-src": "'self'",
    "worker-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}

PERMISSIONS_POLICY = {
    "camera": "(self)",  # photos of inspection findings
    "geolocation": "()",
    "microphone": "()",
    "payment": "()",
    "usb": "()",
    "interest-cohort": "()",
}


def init_security(app: Flask) -> None:
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
        content_security_policy=CONTENT_SECURITY_POLICY,
        permissions_policy=PERMISSIONS_POLICY,
        referrer_policy="same-origin",
        frame_options="DENY",
        strict_transport_security=True,
        strict_transport_security_max_age=31536000,
        x_xss_protection=False,  # obsolete header; CSP does the work
    )
    app.after_request(_default_no_store)


def _default_no_store(response: Response) -> Response:
    """Nothing is cacheable unless a route opts in: the Cache API ignores no-store anyway,
    but browsers' HTTP caches and proxies do not."""
    if request.endpoint == "static":
        if request.args.get("v"):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
    response.headers.setdefault("Cache-Control", "no-store")
    if response.mimetype == "text/html":
        response.vary.add("HX-Request")  # full page and fragment share a URL
    return response
