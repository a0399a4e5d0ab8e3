"""SageMaker Pipeline alternative to the Glue retraining job (see docs/retraining.md)."""
from .definition import PipelineOptions, build_definition, definition_json

__all__ = ["PipelineOptions", "build_definition", "definition_json"]
