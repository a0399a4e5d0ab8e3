"""The analyst playground (`entrec playground`): a local page to try texts, see why each
entity won, edit a rule file with live errors and run its tests.

Sits beside the CLI (it uses the engine, nothing above it); the predictor never imports it.
"""
from .server import PlaygroundServer
from .workspace import Build, PlaygroundError, Workspace

__all__ = ["PlaygroundServer", "Workspace", "Build", "PlaygroundError"]
