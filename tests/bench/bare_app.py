"""A bare Flask app with one JSON endpoint: the yardstick for the API load benchmark."""
from flask import Flask

app = Flask(__name__)


@app.get("/ping")
def ping():
    return {"ok": True}
