"""Documents at scale: run an engine over document units and write the `pages` and `entities`
Parquet tables plus a manifest (docs/documents-at-scale.md).

The core (`core`) turns one document into page rows and entity rows; runners apply it in one
process, in a fork pool (`local`), or under Spark `mapInPandas` (`spark`); `tables` writes,
reuses and publishes the output; `transform` is the SageMaker Batch Transform route.
"""
from entrec.batch.core import EngineSpec, document_rows, entity_rows_for, load_engine
from entrec.batch.run import BatchResult, run_batch
from entrec.batch.schema import entities_schema, pages_schema

__all__ = ["EngineSpec", "load_engine", "document_rows", "entity_rows_for", "run_batch",
           "BatchResult", "pages_schema", "entities_schema"]
