"""Record what the app sends to OpenTelemetry, with the SDK's in-memory exporter and reader.

OpenTelemetry's global providers can be set once per process: the first test that records
sets a ``TracerProvider`` whose spans go to the current test's ``InMemorySpanExporter`` (none
between tests, so other tests record nothing), and a ``MeterProvider`` with an
``InMemoryMetricReader`` in delta temporality, drained before each test.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


class _CurrentTest(SpanExporter):
    """Hands spans to the current test's exporter, or drops them between tests."""

    def __init__(self) -> None:
        self.target: InMemorySpanExporter | None = None

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self.target is not None:
            return self.target.export(spans)
        return SpanExportResult.SUCCESS


_installed: tuple[_CurrentTest, InMemoryMetricReader] | None = None


def _install() -> tuple[_CurrentTest, InMemoryMetricReader]:
    global _installed
    if _installed is None:
        current = _CurrentTest()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(current))
        trace.set_tracer_provider(tracer_provider)
        delta = AggregationTemporality.DELTA
        reader = InMemoryMetricReader(preferred_temporality={Counter: delta, Histogram: delta})
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
        _installed = (current, reader)
    return _installed


@dataclass(frozen=True)
class Point:
    """One data point: the instrument's name, the point's attributes, and its value (a
    counter's sum, a histogram's count)."""

    metric: str
    attributes: dict[str, Any]
    value: float
    unit: str


@dataclass
class Recording:
    """The spans and metric points recorded since the recording started."""

    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader
    points: list[Point] = field(default_factory=list)
    metric_json: list[str] = field(default_factory=list)

    def collect(self) -> None:
        """Read the metric points recorded since the last read."""
        data = self.reader.get_metrics_data()
        if data is None:
            return
        self.metric_json.append(data.to_json())
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    for point in metric.data.data_points:
                        value = getattr(point, "value", None)
                        if value is None:
                            value = point.count  # a histogram's
                        self.points.append(
                            Point(metric.name, dict(point.attributes or {}), value, metric.unit)
                        )

    def spans(self, name: str | None = None) -> list[ReadableSpan]:
        """Return the finished spans (named ``name``, if given), oldest first."""
        found = list(self.exporter.get_finished_spans())
        return [span for span in found if name is None or span.name == name]

    def metric(self, name: str) -> list[Point]:
        """Return the points of the instrument ``name`` recorded so far."""
        self.collect()
        return [point for point in self.points if point.metric == name]

    def total(self, name: str, **attributes: Any) -> float:
        """Return the sum of ``name``'s points whose attributes include ``attributes``."""
        return sum(
            point.value
            for point in self.metric(name)
            if all(point.attributes.get(key) == value for key, value in attributes.items())
        )

    def everything(self) -> str:
        """Return all that was recorded as text: every span (name, attributes, events, links,
        status, resource) and every metric (names, units, descriptions, point attributes)."""
        self.collect()
        return "\n".join([*(span.to_json() for span in self.spans()), *self.metric_json])

    def attribute_keys(self) -> set[str]:
        """Return every attribute key of every span and metric point recorded."""
        self.collect()
        keys = {key for span in self.spans() for key in (span.attributes or {})}
        return keys | {key for point in self.points for key in point.attributes}


def start_recording() -> Recording:
    """Start recording: spans from now on, metric points from now on."""
    current, reader = _install()
    reader.get_metrics_data()  # drop what earlier tests recorded (delta temporality)
    exporter = InMemorySpanExporter()
    current.target = exporter
    return Recording(exporter, reader)


def stop_recording() -> None:
    """Stop handing spans to the last recording."""
    current, _ = _install()
    current.target = None
