/**
 * Does a column look personal? By its name (email, name, phone, ip, address, user_agent, ssn, dob
 * and their usual spellings) and by its values (emails, IPv4/IPv6 addresses, user-agent strings,
 * long free text). Pure: the value counts come from SQL (pii-scan.ts). The value patterns are
 * written so that DuckDB's RE2 and JavaScript read them the same way.
 */

export const VALUE_PATTERNS = {
  email: '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$',
  ipv4: '^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$',
  ipv6: '^(([0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(([0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{1,4})?::(([0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{1,4})?)$',
  /** Matched anywhere in the value (a user agent is a long string with product tokens). */
  user_agent: '(Mozilla/[0-9]|AppleWebKit/|Gecko/[0-9]|Chrome/[0-9]|Safari/[0-9]|curl/[0-9]|Wget/[0-9]|python-requests/|okhttp/|Dalvik/|CFNetwork/)',
} as const;

/** Free text: at least this many characters and words. */
export const FREE_TEXT = { minLength: 40, minWords: 6 } as const;

/** Share of sampled non-null values that must match for a value pattern to count. */
export const VALUE_SHARE = { pattern: 0.1, freeText: 0.3 } as const;

export interface ValueStats {
  /** Non-null values sampled. */
  sampled: number;
  email: number;
  ipv4: number;
  ipv6: number;
  user_agent: number;
  free_text: number;
}

/** Lowercase word tokens of a column name: `clientIP` → [client, ip]; `user-agent` → [user, agent]. */
export function nameTokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

const PERSON_WORDS = new Set(['first', 'last', 'full', 'given', 'family', 'middle', 'maiden', 'user', 'customer', 'client', 'patient', 'person', 'contact', 'display', 'sur', 'real', 'legal', 'nick', 'holder', 'passenger', 'owner', 'member', 'employee']);
const NAME_WORDS = new Set(['firstname', 'lastname', 'fullname', 'surname', 'username', 'givenname', 'familyname', 'nickname', 'forename']);

/** Why a column's name looks personal (empty: it does not). */
export function nameReasons(name: string): string[] {
  const t = nameTokens(name);
  const has = (...w: string[]): boolean => w.some((x) => t.includes(x));
  const joined = t.join('');
  const reasons: string[] = [];
  const email = has('email', 'mail', 'emailaddress') || joined.includes('email');
  if (email) reasons.push('its name suggests an email address');
  const nameIdx = t.indexOf('name');
  if (t.some((x) => NAME_WORDS.has(x)) || (t.length === 1 && t[0] === 'name') || (nameIdx > 0 && PERSON_WORDS.has(t[nameIdx - 1]!))) {
    reasons.push("its name suggests a person's name");
  }
  if (has('phone', 'telephone', 'tel', 'mobile', 'msisdn', 'cellphone', 'fax') || joined.includes('phone')) reasons.push('its name suggests a phone number');
  const ip = has('ip', 'ipv4', 'ipv6', 'ipaddr', 'ipaddress', 'ip4', 'ip6') || (has('remote') && has('addr', 'address', 'host'));
  if (ip) reasons.push('its name suggests an IP address');
  if (!ip && !email && (has('address', 'addr', 'street', 'zip', 'zipcode', 'postcode', 'postal', 'postalcode') || joined.includes('streetaddress'))) {
    reasons.push('its name suggests a postal address');
  }
  if (has('useragent', 'ua') || (has('user') && has('agent')) || joined.includes('useragent')) reasons.push('its name suggests a user-agent string');
  if (has('ssn', 'passport', 'nino') || (has('social') && has('security')) || joined.includes('socialsecurity')) reasons.push('its name suggests a national id (SSN, passport)');
  if (has('dob', 'birth', 'birthday', 'birthdate', 'dateofbirth') || joined.includes('dateofbirth')) reasons.push('its name suggests a date of birth');
  return reasons;
}

/** Why a column's sampled values look personal (empty: they do not). */
export function valueReasons(s: ValueStats): string[] {
  if (s.sampled === 0) return [];
  const pct = (n: number): string => `${Math.round((n / s.sampled) * 100)}%`;
  const out: string[] = [];
  const check = (n: number, what: string, share: number): void => {
    if (n / s.sampled >= share) out.push(`${pct(n)} of ${s.sampled} sampled values look like ${what}`);
  };
  check(s.email, 'email addresses', VALUE_SHARE.pattern);
  check(s.ipv4, 'IPv4 addresses', VALUE_SHARE.pattern);
  check(s.ipv6, 'IPv6 addresses', VALUE_SHARE.pattern);
  check(s.user_agent, 'user-agent strings', VALUE_SHARE.pattern);
  // Free text only when nothing more specific matched (user agents are long strings with spaces too).
  if (out.length === 0) check(s.free_text, `free text (≥ ${FREE_TEXT.minLength} characters, ≥ ${FREE_TEXT.minWords} words)`, VALUE_SHARE.freeText);
  return out;
}

/** JavaScript twin of the SQL value checks (for tests and small in-memory lists). */
export function valueStats(values: readonly (string | null)[]): ValueStats {
  const re = Object.fromEntries(Object.entries(VALUE_PATTERNS).map(([k, p]) => [k, new RegExp(p)])) as Record<keyof typeof VALUE_PATTERNS, RegExp>;
  const s: ValueStats = { sampled: 0, email: 0, ipv4: 0, ipv6: 0, user_agent: 0, free_text: 0 };
  for (const v of values) {
    if (v === null) continue;
    s.sampled++;
    if (re.email.test(v)) s.email++;
    if (re.ipv4.test(v)) s.ipv4++;
    if (re.ipv6.test(v)) s.ipv6++;
    if (re.user_agent.test(v)) s.user_agent++;
    if (isFreeText(v)) s.free_text++;
  }
  return s;
}

export function isFreeText(v: string): boolean {
  return v.length >= FREE_TEXT.minLength && v.trim().split(/\s+/).length >= FREE_TEXT.minWords;
}

/** The warning line for one column, with the option that fixes it. */
export function piiMessage(column: string, where: string, reasons: string[]): { fix: string; message: string } {
  const arg = /^[A-Za-z0-9_.:-]+$/.test(column) ? column : JSON.stringify(column);
  const fix = `--redact ${arg}=hash`;
  return {
    fix,
    message: `WARNING: ${where} "${column}" looks personal: ${reasons.join('; ')}. Redact it before sharing: ${fix} (keyed HMAC, values still join) or --redact ${arg}=drop`,
  };
}
