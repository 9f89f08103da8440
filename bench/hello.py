"""The baseline every load figure is divided by: a bare Flask route, served the same way."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
