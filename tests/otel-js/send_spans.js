// Sends a known span tree with the official OpenTelemetry JS SDK and OTLP/HTTP protobuf
// exporter to the URL given as the first argument (used by test_otel_js.py).
const api = require('@opentelemetry/api');
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { Resource } = require('@opentelemetry/resources');
async function main() {
  const provider = new BasicTracerProvider({ resource: new Resource({ 'service.name': 'js-shop' }) });
  provider.addSpanProcessor(new BatchSpanProcessor(new OTLPTraceExporter({ url: process.argv[2] })));
  const tracer = provider.getTracer('traceshim-test', '1.0.0');
  const root = tracer.startSpan('checkout', { kind: api.SpanKind.SERVER });
  const ctx = api.trace.setSpan(api.context.active(), root);
  const cart = tracer.startSpan('load cart', { attributes: { items: 3 } }, ctx);
  const charge = tracer.startSpan('charge card', { kind: api.SpanKind.CLIENT }, ctx);
  await new Promise((r) => setTimeout(r, 5));
  cart.end();
  await new Promise((r) => setTimeout(r, 5));
  charge.setStatus({ code: api.SpanStatusCode.ERROR, message: 'card declined' });
  charge.end();
  root.end();
  await provider.forceFlush();
  await provider.shutdown();
}
main().catch((e) => { console.error(e); process.exit(1); });
