import type { SourceLanguage } from '../../protocol';
import type { Candidate } from './candidate';
import { discoverPython } from './discover-python';
import { discoverSql } from './discover-sql';
import { discoverTypeScript } from './discover-typescript';

/** Candidate definitions of the given feature names in one file's text, by its language. */
export function discover(language: SourceLanguage, text: string, names: ReadonlySet<string>): Candidate[] {
  switch (language) {
    case 'python': return discoverPython(text, names);
    case 'typescript':
    case 'javascript': return discoverTypeScript(text, names);
    case 'sql': return discoverSql(text, names);
    default: return [];
  }
}
