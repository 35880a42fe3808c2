import { LspSettings } from '../../protocol';

/**
 * Settings arrive as `initializationOptions` and later through `workspace/configuration`
 * (section `sightline`); either may be wrapped in `{ sightline: … }`. Each key is validated on
 * its own so one bad value does not reset the others; `problems` says what was ignored.
 */
export function parseSettings(...layers: unknown[]): { settings: LspSettings; problems: string[] } {
  const settings: LspSettings = {};
  const problems: string[] = [];
  for (const layer of layers) {
    let raw = layer;
    if (raw && typeof raw === 'object' && 'sightline' in raw) raw = (raw as { sightline: unknown }).sightline;
    if (!raw || typeof raw !== 'object') continue;
    for (const [key, schema] of Object.entries(LspSettings.shape)) {
      const value = (raw as Record<string, unknown>)[key];
      if (value === undefined || value === null || value === '') continue;
      const r = schema.safeParse(value);
      if (r.success) (settings as Record<string, unknown>)[key] = r.data;
      else problems.push(`setting sightline.${key} ignored: ${r.error.issues[0]?.message ?? 'invalid'}`);
    }
  }
  return { settings, problems };
}

/** True when the source of findings must be re-chosen (not for display-only settings). */
export function sourceChanged(a: LspSettings, b: LspSettings): boolean {
  return JSON.stringify([a.trace, a.daemon]) !== JSON.stringify([b.trace, b.daemon]);
}
