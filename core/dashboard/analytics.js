// Trends, Models and Tags views: charts and tables over the trace store's
// aggregates (/dashboard/api/trends, /usage, /models, /tags). Hours and
// days with no requests are drawn as zero, not left out.
import {$, h, fill, count, ms, clock, day, hour, isNum, colour, getJSON} from './util.js';
import {drawChart, chartLegend} from './charts.js';

const HOUR = 3600;
const DAY = 86400;

// Shows an analytics error in the view's error line; rethrows when the
// router did not answer at all (the shell shows that).
function panelError(id, e) {
    if (!e.status) throw e;
    const el = $(id);
    el.hidden = false;
    el.textContent = e.status === 503
        ? 'Analytics are not available: ' + e.message +
          ' (is a storage plugin loaded? see doc/storage.md)'
        : 'Analytics failed: ' + e.message;
}

// Fetches all urls; null when one failed with an HTTP error (shown).
async function load(errId, urls) {
    try {
        const out = await Promise.all(urls.map((u) => getJSON(u)));
        $(errId).hidden = true;
        return out;
    } catch (e) {
        panelError(errId, e);
        return null;
    }
}

// Bucket starts from..now every step seconds (aligned to step, UTC).
function buckets(span, step) {
    const now = Math.floor(Date.now() / 1000);
    const last = now - (now % step);
    const out = [];
    for (let t = last - span + step; t <= last; t += step) out.push(t);
    return out;
}

function chart(canvasId, legendId, spec, format) {
    drawChart($(canvasId), spec);
    chartLegend($(legendId), spec, format);
}

// Draws only when the data changed, so the 2 s poll does not repaint.
function changed(view, data) {
    const key = JSON.stringify(data);
    if (view.last === key) return false;
    view.last = key;
    return true;
}

export const trends = {
    name: 'trends',
    title: 'Trends',
    init(refresh) {
        $('#trend-hours').addEventListener('change', () => refresh());
    },
    async refresh() {
        const hours = Number($('#trend-hours').value) || 72;
        const got = await load('#trends-error', [
            '/dashboard/api/trends?hours=' + hours, '/dashboard/api/usage?days=7']);
        if (!got || !changed(this, [hours, got])) return;
        const [tr, usage] = got;
        const byHour = new Map((tr.data || []).map((d) => [d.hour_bucket, d]));
        const hs = buckets(hours * HOUR, HOUR);
        const labels = hs.map(hour);
        const pick = (f) => hs.map((t) => (byHour.has(t) ? f(byHour.get(t)) : 0));
        chart('#chart-requests', '#legend-requests', {
            kind: 'bar', labels, xTitle: 'hour', title: 'Requests per hour',
            series: [{name: 'requests', color: '#7aa2f7', values: pick((d) => d.request_count)}],
        }, count);
        chart('#chart-latency', '#legend-latency', {
            kind: 'line', labels, xTitle: 'hour', title: 'Average latency per hour (ms)',
            series: [{name: 'average latency (ms)', color: '#e0af68',
                values: hs.map((t) => (byHour.has(t) && isNum(byHour.get(t).avg_latency_ms)
                    ? byHour.get(t).avg_latency_ms : null))}],
        }, ms);
        chart('#chart-tokens', '#legend-tokens', {
            kind: 'bar', stacked: true, labels, xTitle: 'hour', title: 'Tokens per hour',
            series: [
                {name: 'prompt', color: '#7dcfff', values: pick((d) => d.total_prompt_tokens || 0)},
                {name: 'completion', color: '#bb9af7',
                    values: pick((d) => d.total_completion_tokens || 0)}],
        }, count);
        const days = buckets(7 * DAY, DAY);
        const nodes = [...new Set((usage.data || []).map((d) => d.node_id))].sort();
        chart('#chart-usage', '#legend-usage', {
            kind: 'bar', stacked: true, labels: days.map(day), xTitle: 'day (UTC)',
            title: 'Requests per day and node',
            series: nodes.map((n) => ({name: n, color: colour(n), values: days.map((t) =>
                (usage.data || []).filter((d) => d.node_id === n && d.day_bucket === t)
                    .reduce((a, d) => a + (d.request_count || 0), 0))})),
        }, count);
    },
};

export const models = {
    name: 'models',
    title: 'Models',
    init(refresh) {
        $('#model-days').addEventListener('change', () => refresh());
    },
    async refresh() {
        const days = Number($('#model-days').value) || 7;
        const got = await load('#models-error', ['/dashboard/api/models?days=' + days]);
        if (!got || !changed(this, [days, got])) return;
        const [m] = got;
        const ds = buckets(days * DAY, DAY);
        const names = [...new Set((m.daily || []).map((d) => d.model_name))].sort();
        chart('#chart-model-daily', '#legend-model-daily', {
            kind: 'bar', stacked: true, labels: ds.map(day), xTitle: 'day (UTC)',
            title: 'Requests per day and model',
            series: names.map((n) => ({name: n, color: colour(n), values: ds.map((t) => {
                const d = (m.daily || []).find((x) => x.model_name === n && x.day_bucket === t);
                return d ? d.request_count : 0;
            })})),
        }, count);
        const rows = m.summary || [];
        fill($('#models-body'), rows.length ? rows.map((s) => h('tr', null,
            h('th', {scope: 'row'}, s.model_name),
            h('td', {class: 'num'}, count(s.total_requests)),
            h('td', {class: 'num'}, ms(s.avg_latency_ms)),
            h('td', {class: 'num'}, ms(s.min_latency_ms)),
            h('td', {class: 'num'}, ms(s.max_latency_ms)),
            h('td', {class: 'num'}, count(s.total_prompt_tokens) + ' / ' +
                count(s.total_completion_tokens)),
            h('td', null, clock(s.last_seen))))
            : h('tr', null, h('td', {colspan: 7, class: 'muted'}, 'No requests recorded yet.')));
    },
};

export const tags = {
    name: 'tags',
    title: 'Tags',
    init(refresh) {
        $('#tag-days').addEventListener('change', () => refresh());
    },
    async refresh() {
        const days = Number($('#tag-days').value) || 7;
        const got = await load('#tags-error', ['/dashboard/api/tags?days=' + days]);
        if (!got || !changed(this, [days, got])) return;
        const [t] = got;
        const rows = (t.data || []).slice().sort((a, b) => b.request_count - a.request_count);
        chart('#chart-tags', '#legend-tags', {
            kind: 'bar', stacked: true, labels: rows.map((r) => r.tag), xTitle: 'tag',
            title: 'Requests per tag',
            series: [
                {name: 'completed', color: '#9ece6a', values: rows.map((r) => r.completed_count || 0)},
                {name: 'failed', color: '#f7768e', values: rows.map((r) => r.failed_count || 0)},
                {name: 'other', color: '#8a93b2', values: rows.map((r) =>
                    Math.max(0, r.request_count - (r.completed_count || 0) - (r.failed_count || 0)))}],
        }, count);
        fill($('#tags-body'), rows.length ? rows.map((r) => h('tr', null,
            h('th', {scope: 'row'}, r.tag),
            h('td', {class: 'num'}, count(r.request_count)),
            h('td', {class: 'num'}, count(r.completed_count)),
            h('td', {class: 'num' + (r.failed_count ? ' bad' : '')}, count(r.failed_count)),
            h('td', {class: 'num'}, ms(r.avg_latency_ms)),
            h('td', {class: 'num'}, ms(r.avg_ttft_ms)),
            h('td', {class: 'num'}, count(r.total_prompt_tokens) + ' / ' +
                count(r.total_completion_tokens))))
            : h('tr', null, h('td', {colspan: 7, class: 'muted'},
                'No tagged requests in this period.')));
    },
};
