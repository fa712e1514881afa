#!/usr/bin/env python3
"""A minimal OTLP/HTTP receiver for the tests: decodes what a tool pushes with the official
opentelemetry-proto bindings and appends one JSON line per log record or data point to OUT.

    otlp-receiver.py PORT OUT [--status CODE]

--status answers every request with CODE instead of 200 (a collector that refuses data).
Prints "listening" on stdout once it accepts connections.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest


def any_value(v):
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [any_value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in v.kvlist_value.values}
    return getattr(v, kind) if kind else None


def attributes(kvs):
    return {kv.key: any_value(kv.value) for kv in kvs}


def logs(body):
    request = ExportLogsServiceRequest()
    request.ParseFromString(body)
    for rl in request.resource_logs:
        resource = attributes(rl.resource.attributes)
        for sl in rl.scope_logs:
            for r in sl.log_records:
                yield {"signal": "logs", "resource": resource, "scope": sl.scope.name,
                       "time_unix_nano": r.time_unix_nano, "observed_time_unix_nano": r.observed_time_unix_nano,
                       "severity_number": r.severity_number, "severity_text": r.severity_text,
                       "event_name": r.event_name, "body": any_value(r.body), "attributes": attributes(r.attributes)}


def metrics(body):
    request = ExportMetricsServiceRequest()
    request.ParseFromString(body)
    for rm in request.resource_metrics:
        resource = attributes(rm.resource.attributes)
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                kind = m.WhichOneof("data")
                base = {"signal": "metrics", "resource": resource, "name": m.name, "unit": m.unit, "kind": kind}
                if kind in ("sum", "gauge"):
                    data = getattr(m, kind)
                    for p in data.data_points:
                        value = p.as_double if p.WhichOneof("value") == "as_double" else p.as_int
                        extra = {"monotonic": data.is_monotonic, "temporality": data.aggregation_temporality} if kind == "sum" else {}
                        yield dict(base, attributes=attributes(p.attributes), value=value,
                                   start_time_unix_nano=p.start_time_unix_nano, time_unix_nano=p.time_unix_nano, **extra)
                elif kind == "histogram":
                    for p in m.histogram.data_points:
                        yield dict(base, attributes=attributes(p.attributes), count=p.count, sum=p.sum,
                                   bucket_counts=list(p.bucket_counts), explicit_bounds=list(p.explicit_bounds),
                                   temporality=m.histogram.aggregation_temporality)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        status = self.server.status
        if status == 200:
            decode = {"/v1/logs": logs, "/v1/metrics": metrics}.get(self.path)
            if decode is None or self.headers.get("Content-Type") != "application/x-protobuf":
                status = 404
            else:
                lines = [json.dumps(item) + "\n" for item in decode(body)]
                with open(self.server.out, "a") as out:
                    out.writelines(lines)
                    out.write(json.dumps({"signal": "request", "path": self.path,
                                          "headers": {k.lower(): v for k, v in self.headers.items()}}) + "\n")
        self.send_response(status)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.out = out
    server.status = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--status" else 200
    print("listening", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
