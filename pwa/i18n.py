"""Simplified Chinese by default; English for browsers that ask for it first."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_translations

from pwa.extensions import babel


def select_locale() -> str:
    if not has_request_context():  # command line: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    supported = current_app.config["SUPPORTED_LOCALES"]
    # Accept-Language says zh-CN / zh-Hans / en-US; map to our catalogue names.
    aliases = {
        "zh": "zh_Hans_CN",
        "zh_CN": "zh_Hans_CN",
        "zh_Hans": "zh_Hans_CN",
        "zh_Hans_CN": "zh_Hans_CN",
        "en": "en",
    }
    for value, _quality in request.accept_languages:
        tag = value.replace("-", "_")
        for candidate in (tag, tag.split("_")[0]):
            if candidate in aliases and aliases[candidate] in supported:
                return aliases[candidate]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def html_lang(locale: str) -> str:
    return "zh-CN" if locale.startswith("zh") else locale.replace("_", "-")


def request_translations() -> object:
    """The request's catalogue, looked up once per request instead of once per string
    (Flask-Babel resolves locale and domain on every call; pages make dozens)."""
    if not has_request_context():
        return get_translations()
    translations = g.get("_translations")
    if translations is None:
        translations = g._translations = get_translations()
    return translations


def translate(msgid: str) -> str:
    return request_translations().ugettext(msgid)


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.install_gettext_callables(
        gettext=translate,
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
    )
