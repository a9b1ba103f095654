"""The domain: the input schema, amounts, the metrics registry, the fiscal calendar and the computed scorecard types."""
