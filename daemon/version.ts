/** Sightline's version, injected by esbuild from package.json (falls back when run from source). */
declare const __SIGHTLINE_VERSION__: string | undefined;
export const VERSION: string = typeof __SIGHTLINE_VERSION__ === 'string' ? __SIGHTLINE_VERSION__ : '0.0.0-dev';
