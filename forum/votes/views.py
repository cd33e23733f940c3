"""Support button endpoints."""
from flask import Blueprint

bp = Blueprint("votes", __name__)
