// The official ollama-js client against an Ollama-protocol server at
// $OLLAMA_URL (herd-sim, or herd in front of it). Models: $CHAT_MODEL
// (tools), $THINK_MODEL (thinking), $EMBED_MODEL.
import { Ollama } from 'ollama';
import { ok, is, step } from './tap.mjs';

const host = process.env.OLLAMA_URL;
const chatModel = process.env.CHAT_MODEL || 'tiny';
const thinkModel = process.env.THINK_MODEL || 'deep-r1';
const embedModel = process.env.EMBED_MODEL || 'embed';
const client = new Ollama({ host });
const messages = [{ role: 'user', content: 'Why is the sky blue?' }];

await step('version', async () => {
  const v = await client.version();
  ok(/^\d+\.\d+\.\d+$/.test(v.version), 'version() parses');
});

await step('chat', async () => {
  const r = await client.chat({ model: chatModel, messages });
  is(r.message.role, 'assistant', 'chat() non-stream: role');
  ok(r.message.content.length > 0, 'chat() non-stream: content');
  ok(r.done === true && r.eval_count > 0, 'chat() non-stream: done and eval_count');
});

await step('chat stream', async () => {
  const stream = await client.chat({ model: chatModel, messages, stream: true });
  let text = '';
  let last;
  for await (const part of stream) {
    text += part.message.content;
    last = part;
  }
  ok(text.length > 0, 'chat() stream: text arrives in parts');
  is(last && last.done_reason, 'stop', 'chat() stream: ends with done_reason stop');
});

await step('chat tools', async () => {
  const tools = [{
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  }];
  const r = await client.chat({
    model: chatModel,
    messages: [{ role: 'user', content: 'Call get_weather for Paris' }],
    tools,
  });
  const call = r.message.tool_calls && r.message.tool_calls[0];
  is(call && call.function.name, 'get_weather', 'chat() tools: tool call');
  is(call && typeof call.function.arguments, 'object', 'chat() tools: arguments object');
});

await step('thinking', async () => {
  const r = await client.chat({ model: thinkModel, messages, think: true });
  ok(typeof r.message.thinking === 'string' && r.message.thinking.length > 0,
    'chat() think: thinking text');
});

await step('generate', async () => {
  const r = await client.generate({ model: chatModel, prompt: 'Hello' });
  ok(r.response.length > 0 && Array.isArray(r.context), 'generate() non-stream');
  const stream = await client.generate({ model: chatModel, prompt: 'Hello', stream: true });
  let parts = 0;
  let done = false;
  for await (const part of stream) {
    parts += 1;
    done = part.done;
  }
  ok(parts > 1 && done, `generate() stream (${parts} parts)`);
});

await step('embed', async () => {
  const r = await client.embed({ model: embedModel, input: ['a', 'b'] });
  is(r.embeddings.length, 2, 'embed() two vectors');
  const e = await client.embeddings({ model: embedModel, prompt: 'a' });
  ok(Array.isArray(e.embedding) && e.embedding.length > 0, 'embeddings() legacy');
});

await step('list show ps', async () => {
  const l = await client.list();
  ok(l.models.some((m) => m.name.startsWith(chatModel)), 'list()');
  const s = await client.show({ model: chatModel });
  ok(s.model_info && s.details && Array.isArray(s.capabilities), 'show()');
  const p = await client.ps();
  ok(p.models.length > 0 && p.models.every((m) => m.expires_at && 'size_vram' in m), 'ps()');
});

await step('pull copy delete', async () => {
  const r = await client.pull({ model: 'pulled:1b' });
  is(r.status, 'success', 'pull() non-stream');
  const stream = await client.pull({ model: 'pulled2:1b', stream: true });
  const statuses = [];
  for await (const part of stream) statuses.push(part.status);
  is([statuses[0], statuses[statuses.length - 1]], ['pulling manifest', 'success'], 'pull() stream');
  await client.copy({ source: 'pulled:1b', destination: 'pulled-copy' });
  await client.delete({ model: 'pulled-copy' });
  const l = await client.list();
  ok(!l.models.some((m) => m.name === 'pulled-copy:latest'), 'copy() and delete()');
});

await step('errors', async () => {
  let err;
  try {
    await client.chat({ model: 'no-such-model', messages });
  } catch (e) {
    err = e;
  }
  ok(err && err.status_code === 404 && /not found/.test(err.error), 'unknown model: ResponseError 404');
});

await step('abort', async () => {
  const stream = await client.chat({ model: chatModel, messages, stream: true });
  let parts = 0;
  try {
    for await (const part of stream) {
      parts += 1;
      if (parts === 1) stream.abort();
    }
  } catch (e) {
    ok(e.name === 'AbortError', 'abort() ends the stream');
    return;
  }
  ok(parts >= 1, 'abort() ends the stream');
});


