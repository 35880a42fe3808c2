/**
 * JUnit XML: one test suite per run, one test case per gate (a failed gate is a <failure>, a
 * gate whose value could not be computed too). CI systems show them as tests.
 */
import type { GateResult } from '../../protocol';

export interface JunitOptions {
  /** Suite name, e.g. `sightline replay flights-delay@v2 vs flights-delay@v1`. */
  name: string;
  /** Class name of the test cases (`sightline.replay`). */
  classname: string;
  seconds: number;
  timestamp: string;
  properties?: Record<string, string>;
  /** Text for <system-out> (the summary). */
  output?: string;
}

export function gatesJunit(gates: readonly GateResult[], o: JunitOptions): string {
  const failures = gates.filter((g) => !g.passed).length;
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(`<testsuites name="sightline" tests="${gates.length}" failures="${failures}" errors="0" time="${o.seconds.toFixed(3)}">`);
  lines.push(`  <testsuite name="${attr(o.name)}" tests="${gates.length}" failures="${failures}" errors="0" skipped="0" time="${o.seconds.toFixed(3)}" timestamp="${attr(o.timestamp)}">`);
  const props = Object.entries(o.properties ?? {});
  if (props.length) {
    lines.push('    <properties>');
    for (const [k, v] of props) lines.push(`      <property name="${attr(k)}" value="${attr(v)}"/>`);
    lines.push('    </properties>');
  }
  for (const g of gates) {
    const where = g.source?.file ? ` file="${attr(g.source.file)}"${g.source.line ? ` line="${g.source.line}"` : ''}` : '';
    const head = `    <testcase classname="${attr(o.classname)}" name="${attr(g.expr)}" time="0"${where}`;
    if (g.passed) {
      lines.push(`${head}>`);
      lines.push(`      <system-out>${text(`value ${g.value}`)}</system-out>`);
      lines.push('    </testcase>');
    } else {
      const message = g.message ?? `${g.expr} failed`;
      lines.push(`${head}>`);
      lines.push(`      <failure message="${attr(message)}" type="${g.value === null ? 'not_computed' : 'gate_failed'}">${text(`${g.expr}: value ${g.value === null ? 'not computed' : g.value}\n${message}`)}</failure>`);
      lines.push('    </testcase>');
    }
  }
  if (o.output) lines.push(`    <system-out>${text(o.output)}</system-out>`);
  lines.push('  </testsuite>');
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

/** XML attribute value. */
function attr(s: string): string {
  return xmlSafe(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\n/g, '&#10;');
}

/** XML text content. */
function text(s: string): string {
  return xmlSafe(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Drops characters XML 1.0 cannot hold. */
function xmlSafe(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '');
}
