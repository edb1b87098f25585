// Minimal TAP output for the compat scripts: ok/is/like and a plan at the
// end; the process exits non-zero when anything failed.
let n = 0;
let failed = 0;

export function ok(cond, name, detail) {
  n += 1;
  if (cond) {
    console.log(`ok ${n} - ${name}`);
  } else {
    failed += 1;
    console.log(`not ok ${n} - ${name}`);
    if (detail !== undefined) console.log(`# ${String(detail).split('\n').join('\n# ')}`);
  }
  return cond;
}

export function is(got, want, name) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  return ok(g === w, name, `got ${g}, want ${w}`);
}

// Runs fn; a thrown error is a failure named after the step.
export async function step(name, fn) {
  try {
    await fn();
  } catch (err) {
    ok(false, `${name}: threw`, err && err.stack ? err.stack : err);
  }
}

export function done() {
  console.log(`1..${n}`);
  process.exitCode = failed > 0 ? 1 : 0;
}
