import { context, trace, SpanStatusCode, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * An app instrumented with the official OpenTelemetry JS SDK, as a team would: a
 * BatchSpanProcessor and the OTLP exporter of their choice, pointed at `url`
 * (`…/otlp/v1/traces`). `runAgent` records one agent run the way GenAI instrumentations
 * do: an `invoke_agent` root, two `chat` LLM calls and an `execute_tool` between them.
 */
export interface OtelAgentApp {
  runAgent(run: AgentRun): { traceId: string; spanIds: Record<'agent' | 'plan' | 'tool' | 'answer', string> };
  /** Exports everything recorded so far; resolves once the exporter had its answer. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface AgentRun {
  session: string;
  user: string;
  /** A failed tool call marks the tool span ERROR with `error.type`. */
  toolFails?: boolean;
}

export interface OtelAppOptions {
  url: string;
  /** grpc: `url` is the server's address, http://host:port. */
  protocol: 'http/protobuf' | 'http/json' | 'grpc';
  gzip?: boolean;
  headers?: Record<string, string>;
  serviceName?: string;
}

export function startOtelAgentApp(o: OtelAppOptions): OtelAgentApp {
  const exporterOptions = { url: o.url, headers: o.headers, compression: o.gzip ? ('gzip' as never) : ('none' as never), timeoutMillis: 10_000 };
  const exporter =
    o.protocol === 'grpc'
      ? new GrpcExporter({ url: o.url, compression: o.gzip ? ('gzip' as never) : ('none' as never), timeoutMillis: 10_000 })
      : o.protocol === 'http/protobuf'
        ? new ProtobufExporter(exporterOptions)
        : new HttpJsonExporter(exporterOptions);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': o.serviceName ?? 'support-agent', 'deployment.environment.name': 'staging' }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 50, maxExportBatchSize: 512 })],
  });
  const tracer = provider.getTracer('otel-agent-app', '1.0.0');
  const child = (parent: Span, name: string, attributes: Record<string, string | number | string[]>) =>
    tracer.startSpan(name, { attributes }, trace.setSpan(context.active(), parent));

  return {
    runAgent(run) {
      const agent = tracer.startSpan('invoke_agent support', {
        attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'support', 'gen_ai.conversation.id': run.session, 'user.id': run.user },
      });
      const plan = child(agent, 'chat gpt-4o', {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.usage.output_tokens': 80,
        'gen_ai.usage.cache_read.input_tokens': 1024,
        'gen_ai.conversation.id': run.session,
        'user.id': run.user,
        'gen_ai.response.finish_reasons': ['tool_calls'],
      });
      plan.end();
      const tool = child(agent, 'execute_tool lookup_order', { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup_order' });
      if (run.toolFails) {
        tool.setAttribute('error.type', 'OrderNotFound');
        tool.setStatus({ code: SpanStatusCode.ERROR, message: 'order not found' });
      }
      tool.end();
      const answer = child(agent, 'chat claude-sonnet-4-5', {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.request.model': 'claude-sonnet-4-5',
        'gen_ai.usage.input_tokens': 2000,
        'gen_ai.usage.output_tokens': 300,
        'gen_ai.usage.cache_creation.input_tokens': 500,
        'gen_ai.conversation.id': run.session,
        'user.id': run.user,
        'gen_ai.response.finish_reasons': ['end_turn'],
      });
      answer.end();
      agent.end();
      const id = (s: Span) => s.spanContext().spanId;
      return { traceId: agent.spanContext().traceId, spanIds: { agent: id(agent), plan: id(plan), tool: id(tool), answer: id(answer) } };
    },
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
