/**
 * zod compiles fast object parsers with `new Function` unless told not to, and decides so when a
 * schema is *created*; the webviews' CSP forbids eval. Every panel imports this module first,
 * before any schema of protocol/ is built.
 */
import { z } from 'zod';

z.config({ jitless: true });
