// The official openai client against the OpenAI-compatible layer at
// $OLLAMA_URL/v1.
import OpenAI from 'openai';
import { ok, is, step } from './tap.mjs';

const chatModel = process.env.CHAT_MODEL || 'tiny';
const thinkModel = process.env.THINK_MODEL || 'deep-r1';
const embedModel = process.env.EMBED_MODEL || 'embed';
const client = new OpenAI({ baseURL: `${process.env.OLLAMA_URL}/v1`, apiKey: 'herd', maxRetries: 0 });
const messages = [{ role: 'user', content: 'Say hello' }];

await step('chat', async () => {
  const r = await client.chat.completions.create({ model: chatModel, messages });
  is(r.object, 'chat.completion', 'chat non-stream: object');
  ok(r.choices[0].message.content.length > 0, 'chat non-stream: content');
  is(r.choices[0].finish_reason, 'stop', 'chat non-stream: finish_reason');
  is(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens, 'chat non-stream: usage');
});

await step('chat stream', async () => {
  const stream = await client.chat.completions.create({
    model: chatModel, messages, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let finish = null;
  let usage = null;
  const ids = new Set();
  for await (const chunk of stream) {
    ids.add(chunk.id);
    if (chunk.usage) usage = chunk.usage;
    if (chunk.choices.length > 0) {
      text += chunk.choices[0].delta.content || '';
      finish = chunk.choices[0].finish_reason || finish;
    }
  }
  ok(text.length > 0, 'chat stream: text');
  is(finish, 'stop', 'chat stream: finish_reason');
  is(ids.size, 1, 'chat stream: one id');
  ok(usage && usage.completion_tokens > 0, 'chat stream: include_usage');
});

await step('chat tools', async () => {
  const r = await client.chat.completions.create({
    model: chatModel,
    messages: [{ role: 'user', content: 'use lookup please' }],
    tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
  });
  const call = r.choices[0].message.tool_calls[0];
  is(r.choices[0].finish_reason, 'tool_calls', 'tools: finish_reason');
  ok(typeof JSON.parse(call.function.arguments).q === 'string', 'tools: arguments JSON string');
});

await step('reasoning', async () => {
  const r = await client.chat.completions.create({ model: thinkModel, messages });
  ok(typeof r.choices[0].message.reasoning === 'string', 'reasoning field');
});

await step('completions', async () => {
  const r = await client.completions.create({ model: chatModel, prompt: 'Once' });
  ok(r.choices[0].text.length > 0, 'completions non-stream');
  const stream = await client.completions.create({ model: chatModel, prompt: 'Once', stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0] ? chunk.choices[0].text : '';
  ok(text.length > 0, 'completions stream');
});

await step('embeddings', async () => {
  const r = await client.embeddings.create({ model: embedModel, input: ['a', 'b'] });
  is(r.data.map((d) => d.index), [0, 1], 'embeddings: indexes');
  ok(r.data[0].embedding.length > 0, 'embeddings: vectors (base64 decoded by the client)');
});

await step('models', async () => {
  const list = await client.models.list();
  const ids = [];
  for await (const m of list) ids.push(m.id);
  ok(ids.some((id) => id.startsWith(chatModel)), 'models.list()');
  const m = await client.models.retrieve(chatModel);
  is(m.id, chatModel, 'models.retrieve()');
});

await step('errors', async () => {
  let err;
  try {
    await client.chat.completions.create({ model: 'no-such-model', messages });
  } catch (e) {
    err = e;
  }
  ok(err && err.status === 404 && /not found/.test(err.message), 'unknown model: NotFoundError');
});


