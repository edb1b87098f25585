// Bar and line charts on <canvas>, drawn by hand: axes with round ticks,
// stacked or grouped bars, lines with points, sized to the element's CSS
// box at the screen's pixel ratio and redrawn when that box changes.
import {h, fill} from './util.js';

const AXIS = '#8a93b2';
const GRID = 'rgba(138,147,178,0.18)';
const FONT = '12px system-ui, sans-serif';

// 0, 2, 4 ... : a step of 1, 2 or 5 times a power of ten.
function niceStep(max, ticks) {
    const raw = max / ticks;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
    return 10 * p;
}

function shortNum(v) {
    const a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toFixed(1).replace(/\.0$/, '') + 'G';
    if (a >= 1e6) return (v / 1e6).toFixed(1).replace(/\.0$/, '') + 'M';
    if (a >= 1e3) return (v / 1e3).toFixed(1).replace(/\.0$/, '') + 'k';
    return String(Math.round(v * 100) / 100);
}

const observed = new WeakMap();

// spec: {kind: 'bar'|'line', labels: [..], series: [{name, color, values}],
//        stacked: bool, unit: '' (appended to the y axis title)}
export function drawChart(canvas, spec) {
    observed.set(canvas, spec);
    if (!canvas._herdObserver && 'ResizeObserver' in window) {
        canvas._herdObserver = new ResizeObserver(() => {
            const s = observed.get(canvas);
            if (s) paint(canvas, s);
        });
        canvas._herdObserver.observe(canvas);
    }
    paint(canvas, spec);
}

function paint(canvas, spec) {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(200, canvas.clientWidth);
    const hgt = Math.max(120, canvas.clientHeight);
    if (canvas.width !== Math.round(w * dpr) ||
        canvas.height !== Math.round(hgt * dpr)) {
        canvas.width = Math.round(w * dpr);
        canvas.height = Math.round(hgt * dpr);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, hgt);
    ctx.font = FONT;

    const labels = spec.labels || [];
    const series = spec.series || [];
    if (!labels.length || !series.length) {
        ctx.fillStyle = AXIS;
        ctx.textAlign = 'center';
        ctx.fillText('no data in this period', w / 2, hgt / 2);
        return;
    }
    let max = 0;
    for (let i = 0; i < labels.length; i++) {
        if (spec.stacked) {
            let sum = 0;
            for (const s of series) sum += Math.max(0, s.values[i] || 0);
            max = Math.max(max, sum);
        } else {
            for (const s of series) max = Math.max(max, s.values[i] || 0);
        }
    }
    if (max <= 0) max = 1;
    const step = niceStep(max, 4);
    const top = Math.ceil(max / step) * step;

    const left = 8 + Math.max(...[0, step, top].map(
        (v) => ctx.measureText(shortNum(v)).width));
    const pad = {l: left + 8, r: 10, t: 12, b: 26};
    const pw = w - pad.l - pad.r;
    const ph = hgt - pad.t - pad.b;
    const y = (v) => pad.t + ph - (v / top) * ph;

    // grid and y ticks
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let v = 0; v <= top + step / 2; v += step) {
        ctx.strokeStyle = GRID;
        ctx.beginPath();
        ctx.moveTo(pad.l, Math.round(y(v)) + 0.5);
        ctx.lineTo(w - pad.r, Math.round(y(v)) + 0.5);
        ctx.stroke();
        ctx.fillStyle = AXIS;
        ctx.fillText(shortNum(v), pad.l - 6, y(v));
    }

    // x labels, thinned to fit
    const slot = pw / labels.length;
    const labelW = Math.max(...labels.map((l) => ctx.measureText(l).width)) + 8;
    const every = Math.max(1, Math.ceil(labelW / slot));
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillStyle = AXIS;
    for (let i = 0; i < labels.length; i += every)
        ctx.fillText(labels[i], pad.l + slot * (i + 0.5), pad.t + ph + 7);

    if (spec.kind === 'line') {
        for (const s of series) {
            ctx.strokeStyle = s.color;
            ctx.fillStyle = s.color;
            ctx.lineWidth = 2;
            ctx.beginPath();
            let started = false;
            s.values.forEach((v, i) => {
                if (v === null || v === undefined) {
                    started = false;
                    return;
                }
                const px = pad.l + slot * (i + 0.5);
                if (started) ctx.lineTo(px, y(v));
                else ctx.moveTo(px, y(v));
                started = true;
            });
            ctx.stroke();
            s.values.forEach((v, i) => {
                if (v === null || v === undefined) return;
                ctx.beginPath();
                ctx.arc(pad.l + slot * (i + 0.5), y(v), 2.5, 0, 2 * Math.PI);
                ctx.fill();
            });
        }
        return;
    }
    const gap = Math.min(8, slot * 0.2);
    const bw = spec.stacked ? slot - gap : (slot - gap) / series.length;
    for (let i = 0; i < labels.length; i++) {
        let base = 0;
        series.forEach((s, k) => {
            const v = Math.max(0, s.values[i] || 0);
            if (!v) return;
            const x0 = pad.l + slot * i + gap / 2 + (spec.stacked ? 0 : k * bw);
            const y0 = y(base + v);
            const y1 = y(base);
            ctx.fillStyle = s.color;
            ctx.fillRect(x0, y0, Math.max(1, bw - 1), Math.max(1, y1 - y0));
            if (spec.stacked) base += v;
        });
    }
}

// The legend and a table of the same numbers for screen readers and for
// anyone who wants the exact values.
export function chartLegend(el, spec, format = String) {
    const table = h('table', {class: 'data'},
        h('caption', {class: 'sr-only'}, spec.title || 'chart data'),
        h('thead', null, h('tr', null, h('th', {scope: 'col'}, spec.xTitle || ''),
            spec.series.map((s) => h('th', {scope: 'col', class: 'num'}, s.name)))),
        h('tbody', null, spec.labels.map((l, i) => h('tr', null,
            h('th', {scope: 'row'}, l),
            spec.series.map((s) => h('td', {class: 'num'},
                s.values[i] === null || s.values[i] === undefined ? '—'
                    : format(s.values[i])))))));
    fill(el,
        h('ul', {class: 'legend', 'aria-hidden': 'true'}, spec.series.map((s) =>
            h('li', null, h('span', {class: 'swatch', style: {background: s.color}}),
                s.name))),
        h('details', {class: 'chart-data'}, h('summary', null, 'Show the numbers'),
            h('div', {class: 'table-wrap'}, table)));
}
