import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { PredictRequest, SightlineError, fromZodError } from '../../protocol';
import { requireDaemon } from './connect';
import { printJson, runCommand } from './output';

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('send records to the running daemon and print the predictions (they are logged like any request)')
    .requiredOption('--model <ref>', 'model name, name@version or hash prefix')
    .option('--record <json>', 'one record as a JSON object of feature values')
    .option('--records <file>', 'a JSON array or JSONL file of records ("-" for stdin)')
    .option('--join-key <key>', 'join key for a single --record')
    .option('--json', 'print the full response as JSON (schema: PredictResponse)')
    .action((opts) => runCommand(async () => {
      let records: unknown;
      if (opts.record) records = [parse(opts.record, '--record')];
      else if (opts.records) {
        const text = readFileSync(opts.records === '-' ? 0 : opts.records, 'utf8').trim();
        records = text.startsWith('[') ? parse(text, opts.records) : text.split('\n').filter(Boolean).map((l, i) => parse(l, `${opts.records}:${i + 1}`));
      } else throw new SightlineError('invalid_request', 'give --record JSON or --records FILE');
      const parsed = PredictRequest.safeParse({ model: opts.model, records, ...(opts.joinKey ? { join_keys: [opts.joinKey] } : {}) });
      if (!parsed.success) throw fromZodError(parsed.error, 'records');
      const { client } = await requireDaemon();
      const res = await client.predict(parsed.data);
      if (opts.json) return printJson(res);
      process.stdout.write(`${res.model.name}@${res.model.version} on ${res.execution_provider}, ${res.latency_ms.toFixed(2)} ms\n`);
      for (const p of res.predictions) process.stdout.write(`${p.id}  score=${p.score ?? '-'}  label=${p.label ?? '-'}\n`);
    }));
}

function parse(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SightlineError('bad_json', `${where} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}
