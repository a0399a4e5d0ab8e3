"""The data bucket aborts incomplete multipart uploads (a killed retraining run leaves parts
of model.tar.gz that are billed and never listed)."""
from __future__ import annotations

from .test_template import resources, tpl  # noqa: F401  (fixture)


def test_bucket_aborts_incomplete_multipart_uploads(tpl):  # noqa: F811
    (bucket,) = [b for b in resources(tpl, "AWS::S3::Bucket").values()
                 if "entityrecognition" in str(b["Properties"].get("BucketName"))]
    rules = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    abort = [r for r in rules if "AbortIncompleteMultipartUpload" in r]
    assert len(abort) == 1 and abort[0]["Status"] == "Enabled"
    assert "Prefix" not in abort[0] and "Filter" not in abort[0]  # the whole bucket
    assert 1 <= abort[0]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] <= 7
