import type { Candidate } from './candidate';
import { discover } from './discover';
import { languageOf } from './paths';

/**
 * File texts and discovered candidates, read once per build. `readText` lets the language
 * server substitute the unsaved text of open editors for what is on disk.
 */
export class FileIndex {
  private texts = new Map<string, string | undefined>();
  private found = new Map<string, Candidate[]>();

  constructor(private readonly readText: (file: string) => string | undefined, private readonly names: ReadonlySet<string>) {}

  text(file: string): string | undefined {
    if (!this.texts.has(file)) this.texts.set(file, this.readText(file));
    return this.texts.get(file);
  }

  /** The text of a 1-based line, or undefined past the end of the file. */
  line(file: string, line: number): string | undefined {
    const text = this.text(file);
    if (text === undefined) return undefined;
    return text.split('\n')[line - 1];
  }

  candidates(file: string): Candidate[] {
    let c = this.found.get(file);
    if (!c) {
      const text = this.text(file);
      c = text === undefined ? [] : discover(languageOf(file), text, this.names);
      this.found.set(file, c);
    }
    return c;
  }
}
