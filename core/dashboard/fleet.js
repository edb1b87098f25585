// Fleet view: counters, one row per node (status, memory, CPU, thermal,
// loaded models with their slots and queues) and the node:model queues,
// from /fleet/status, /fleet/queue and /dashboard/api/overview.
import {$, h, fill, count, gb, pct, ms, fixed, isNum, getJSON} from './util.js';

// "llama3" and "llama3:latest" are the same model.
const norm = (name) => (name && !name.includes(':') ? name + ':latest' : name);

// Settled results: a failure to reach the router aborts the refresh; an
// endpoint that answers with an error (absent, storage down) is left out.
function settled(r) {
    if (r.status === 'fulfilled') return r.value;
    if (!r.reason.status) throw r.reason;
    return null;
}

function counter(label, value, note, id) {
    return [h('div', {class: 'counter', id},
        h('dt', null, label), h('dd', null, value,
            note ? h('span', {class: 'note'}, note) : null))];
}

function renderCounters(status, queue, overview) {
    const f = status.fleet || {};
    const t = status.traces || {};
    fill($('#counters'),
        counter('Nodes online', (f.nodes_online ?? '—') + ' / ' + (f.nodes_total ?? '—'),
            null, 'c-nodes'),
        counter('Models loaded', count(f.models_loaded), null, 'c-models'),
        counter('Running', queue ? count(queue.in_flight) : '—', null, 'c-running'),
        counter('Waiting', queue ? count(queue.pending) : '—',
            queue && isNum(queue.estimated_wait_ms)
                ? '≈ ' + ms(queue.estimated_wait_ms) + ' wait' : null, 'c-waiting'),
        counter('Completed', queue ? count(queue.completed) : '—',
            queue && queue.failed ? count(queue.failed) + ' failed' : null, 'c-completed'),
        counter('Requests (all time)', overview ? count(overview.total_requests) : '—',
            overview ? count(overview.models_count) + ' models' : 'no trace store',
            'c-requests'),
        counter('Tokens (all time)', overview ? count(overview.total_tokens) : '—',
            overview ? count(overview.total_prompt_tokens) + ' in · ' +
                count(overview.total_completion_tokens) + ' out' : null, 'c-tokens'),
        counter('Traces dropped', isNum(t.dropped) ? count(t.dropped) : '—',
            isNum(t.queued) ? count(t.queued) + ' queued' : null, 'c-dropped'));
}

function statusCell(n) {
    let state = n.status || 'unknown';
    const notes = [];
    if (n.draining) notes.push('draining');
    if (n.enabled === false) notes.push('disabled');
    return h('td', null,
        h('span', {class: 'status s-' + state}, h('span', {class: 'dot', 'aria-hidden': 'true'}),
            state),
        notes.length ? h('span', {class: 'badge warn'}, notes.join(', ')) : null,
        isNum(n.missed_heartbeats) && n.missed_heartbeats > 0
            ? h('div', {class: 'sub'}, n.missed_heartbeats + ' missed') : null);
}

function bar(fraction, label, cls) {
    const f = Math.max(0, Math.min(1, fraction));
    return h('div', {class: 'meter ' + (cls || ''), role: 'meter',
        'aria-valuemin': 0, 'aria-valuemax': 100,
        'aria-valuenow': Math.round(f * 100), 'aria-label': label},
    h('span', {class: 'fill', style: {width: (f * 100).toFixed(1) + '%'}}));
}

function memoryCell(n) {
    const m = n.memory;
    const total = m && isNum(m.total_gb) ? m.total_gb : n.hardware?.memory_total_gb;
    if (!m || !isNum(total) || total <= 0)
        return h('td', {class: 'muted'}, n.agentless ? 'agentless' : '—');
    const used = isNum(m.used_gb) ? m.used_gb
        : isNum(m.available_gb) ? total - m.available_gb : null;
    const pressure = m.pressure || 'normal';
    return h('td', {class: 'mem'},
        used === null ? null
            : bar(used / total, 'memory used ' + Math.round(used / total * 100) + ' percent',
                'p-' + pressure),
        h('div', {class: 'sub'}, (used === null ? '?' : fixed(used)) + ' / ' + gb(total),
            pressure !== 'normal'
                ? h('span', {class: 'badge p-' + pressure}, 'pressure ' + pressure) : null));
}

function cpuCell(n) {
    const c = n.cpu;
    if (!c || !isNum(c.utilization_pct))
        return h('td', {class: 'muted'}, '—');
    const cores = c.cores_physical ?? n.hardware?.cores_physical;
    return h('td', null,
        bar(c.utilization_pct / 100, 'CPU ' + Math.round(c.utilization_pct) + ' percent',
            c.utilization_pct >= 95 ? 'hot' : ''),
        h('div', {class: 'sub'}, pct(c.utilization_pct),
            isNum(cores) ? ' of ' + cores + ' cores' : ''));
}

function thermalCell(n) {
    const t = n.thermal;
    if (!t || (!t.state && !isNum(t.temperature_c)))
        return h('td', {class: 'muted'}, '—');
    const state = t.state || 'unknown';
    return h('td', null, h('span', {class: 'thermal t-' + state}, state),
        isNum(t.temperature_c) ? h('div', {class: 'sub'}, t.temperature_c.toFixed(0) + ' °C')
            : null);
}

function modelsCell(n, queues) {
    const loaded = n.ollama?.models_loaded || [];
    const chips = loaded.map((m) => {
        const name = m.name || m.model || '?';
        const q = queues.get(n.node_id + '\u0000' + norm(name));
        const slots = q?.concurrency ?? m.num_parallel ?? n.num_parallel;
        const running = q ? q.in_flight : m.requests_active;
        const size = isNum(m.size_gb) ? m.size_gb
            : isNum(m.size) ? m.size / 1073741824 : null;
        const busy = isNum(slots) && slots > 0 && running >= slots;
        return h('li', {class: 'chip' + (busy ? ' busy' : ''),
            title: [name, size !== null ? fixed(size) + ' GB' : null,
                m.context_length ? 'context ' + m.context_length : null,
                m.quantization || m.details?.quantization_level].filter(Boolean).join(' · ')},
        h('span', {class: 'name'}, name),
        isNum(slots)
            ? h('span', {class: 'slots'}, (isNum(running) ? running : 0) + '/' + slots,
                h('span', {class: 'sr-only'}, ' slots busy'))
            : h('span', {class: 'slots'}, (isNum(running) ? running : 0) + ' running'),
        q && q.pending ? h('span', {class: 'waiting'}, q.pending + ' waiting') : null);
    });
    const recent = (n.recently_unloaded || []).map((u) => u.name).filter(Boolean);
    return h('td', null,
        chips.length ? h('ul', {class: 'chips'}, chips) : h('span', {class: 'muted'}, 'none loaded'),
        recent.length ? h('div', {class: 'sub'}, 'warm: ' + recent.join(', ')) : null);
}

function renderNodes(status, queues) {
    const nodes = status.nodes || [];
    if (!nodes.length) {
        fill($('#fleet-body'), h('tr', null, h('td', {colspan: 8, class: 'muted'},
            'No nodes yet. Start herd-node beside each Ollama, or list them under ' +
            '[discovery.static] in herd.ini.')));
        return;
    }
    fill($('#fleet-body'), nodes.map((n) => {
        const avail = n.ollama?.models_available || [];
        const names = avail.map((m) => (typeof m === 'string' ? m : m.name)).filter(Boolean);
        return h('tr', {'data-node': n.node_id, class: 'node s-' + (n.status || 'unknown')},
            h('th', {scope: 'row'}, h('div', {class: 'node-id'}, n.node_id),
                h('div', {class: 'sub'}, n.hardware?.chip || n.ollama_url || n.url || ''),
                h('div', {class: 'sub'}, n.source || '', n.agentless ? ' · agentless' : '')),
            statusCell(n), memoryCell(n), cpuCell(n), thermalCell(n),
            modelsCell(n, queues),
            h('td', {title: names.join(', ')}, names.length + (names.length === 1 ? ' model' : ' models')),
            h('td', {class: 'num'}, isNum(n.last_heartbeat_age_s)
                ? fixed(n.last_heartbeat_age_s, 0) + ' s ago' : '—'));
    }));
}

function renderQueues(queue) {
    if (!queue) {
        $('#queue-summary').textContent = '/fleet/queue is not available on this router.';
        fill($('#queue-body'));
        return;
    }
    const rows = Object.values(queue.queues || {}).sort((a, b) =>
        (a.node_id + a.model).localeCompare(b.node_id + b.model));
    // turned away by the holding queue: counted per model, not per node
    $('#queue-summary').textContent = count(queue.pending) + ' waiting, ' +
        count(queue.in_flight) + ' running' +
        (isNum(queue.estimated_wait_ms) ? ', estimated wait ' + ms(queue.estimated_wait_ms) : '') +
        (queue.rejected ? ', ' + count(queue.rejected) + ' turned away (503)' : '') +
        (queue.draining ? ' · the router is draining' : '') + '.';
    if (!rows.length) {
        fill($('#queue-body'), h('tr', null, h('td', {colspan: 6, class: 'muted'},
            'No requests yet.')));
        return;
    }
    fill($('#queue-body'), rows.map((q) => h('tr', null,
        h('td', null, q.node_id), h('td', null, q.model),
        h('td', {class: 'num' + (q.pending ? ' hot' : '')}, count(q.pending)),
        h('td', {class: 'num'}, count(q.in_flight) + ' / ' + count(q.concurrency)),
        h('td', {class: 'num'}, count(q.completed)),
        h('td', {class: 'num' + (q.failed ? ' bad' : '')}, count(q.failed)))));
}

export default {
    name: 'fleet',
    title: 'Fleet',
    async refresh() {
        const [s, q, o] = await Promise.allSettled([
            getJSON('/fleet/status'), getJSON('/fleet/queue'),
            getJSON('/dashboard/api/overview')]);
        if (s.status === 'rejected') throw s.reason;
        const status = s.value;
        const queue = settled(q);
        const overview = settled(o);
        const queues = new Map();
        for (const v of Object.values(queue?.queues || {}))
            queues.set(v.node_id + '\u0000' + norm(v.model), v);
        renderCounters(status, queue, overview);
        renderNodes(status, queues);
        renderQueues(queue);
    },
};
