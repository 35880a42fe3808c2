import { describe, expect, it } from 'vitest';
import { nameReasons, nameTokens, piiMessage, valueReasons, valueStats, VALUE_PATTERNS } from '../../../daemon/sharing/pii';

describe('PII detection by column name', () => {
  it('splits names into words', () => {
    expect(nameTokens('clientIP')).toEqual(['client', 'ip']);
    expect(nameTokens('User-Agent')).toEqual(['user', 'agent']);
    expect(nameTokens('customerEmailAddress')).toEqual(['customer', 'email', 'address']);
    expect(nameTokens('HTTPUserAgent')).toEqual(['http', 'user', 'agent']);
  });

  it.each([
    ['email', 'email address'], ['customer_email', 'email address'], ['eMail', 'email address'], ['contact_email_address', 'email address'],
    ['name', "person's name"], ['first_name', "person's name"], ['lastName', "person's name"], ['username', "person's name"], ['passenger_name', "person's name"],
    ['phone', 'phone number'], ['mobile_number', 'phone number'], ['telephone', 'phone number'],
    ['ip', 'IP address'], ['client_ip', 'IP address'], ['ip_address', 'IP address'], ['remote_addr', 'IP address'], ['ipv6', 'IP address'],
    ['address', 'postal address'], ['street', 'postal address'], ['zip_code', 'postal address'], ['postcode', 'postal address'],
    ['user_agent', 'user-agent'], ['userAgent', 'user-agent'], ['ua', 'user-agent'],
    ['ssn', 'national id'], ['social_security_number', 'national id'], ['passport_no', 'national id'],
    ['dob', 'date of birth'], ['date_of_birth', 'date of birth'], ['birthdate', 'date of birth'],
  ])('%s looks like a %s', (column, what) => {
    expect(nameReasons(column).join(' ')).toContain(what);
  });

  it.each(['origin', 'destination', 'dep_hour', 'distance', 'route_delay_rate', 'model_name', 'file_name', 'feature_name', 'hostname', 'day_of_week', 'fare_class', 'join_key', 'zipper_count', 'shipment', 'description', 'usage'])(
    '%s does not look personal by its name', (column) => {
      expect(nameReasons(column)).toEqual([]);
    },
  );
});

describe('PII detection by value', () => {
  it('recognises emails, IPv4/IPv6 addresses, user agents and free text (patterns shared with DuckDB)', () => {
    const re = (k: keyof typeof VALUE_PATTERNS): RegExp => new RegExp(VALUE_PATTERNS[k]);
    expect(['a@b.co', 'first.last+tag@mail.example.com'].every((v) => re('email').test(v))).toBe(true);
    expect(['a@b', '@b.com', 'not an email', 'x@y.z'].some((v) => re('email').test(v))).toBe(false);
    expect(['10.0.0.1', '192.168.255.254', '0.0.0.0'].every((v) => re('ipv4').test(v))).toBe(true);
    expect(['256.1.1.1', '1.2.3', '1.2.3.4.5', '2001.04.01'].some((v) => re('ipv4').test(v))).toBe(false);
    expect(['2001:db8::1', '::1', 'fe80::1ff:fe23:4567:890a', '2001:0db8:85a3:0000:0000:8a2e:0370:7334', '::'].every((v) => re('ipv6').test(v))).toBe(true);
    expect(['12:30:00', '1:2:3', 'ab:cd', 'g::1'].some((v) => re('ipv6').test(v))).toBe(false);
    expect(re('user_agent').test('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36')).toBe(true);
    expect(re('user_agent').test('curl/8.4.0')).toBe(true);
    expect(re('user_agent').test('Mozilla Firefox')).toBe(false);
  });

  it('reports a pattern when at least 10 % of sampled values match, free text at 30 %', () => {
    const emails = valueStats([...Array(9).fill('ORD'), 'x@example.com']);
    expect(emails).toMatchObject({ sampled: 10, email: 1 });
    expect(valueReasons(emails)).toEqual(['10% of 10 sampled values look like email addresses']);
    expect(valueReasons(valueStats([...Array(11).fill('ORD'), 'x@example.com']))).toEqual([]);
    const text = 'the passenger asked to be seated near the front of the plane';
    expect(valueReasons(valueStats([text, text, text, 'a', 'b', 'c', 'd', null, null]))).toEqual(['43% of 7 sampled values look like free text (≥ 40 characters, ≥ 6 words)']);
    expect(valueReasons(valueStats([null, null]))).toEqual([]);
    expect(valueReasons(valueStats(['ATL', 'LAX', '12:30:00', '2001-04-01']))).toEqual([]);
  });

  it('puts the fix in the message', () => {
    const m = piiMessage('client_ip', 'attribute', ['its name suggests an IP address']);
    expect(m.fix).toBe('--redact client_ip=hash');
    expect(m.message).toBe('WARNING: attribute "client_ip" looks personal: its name suggests an IP address. Redact it before sharing: --redact client_ip=hash (keyed HMAC, values still join) or --redact client_ip=drop');
    expect(piiMessage('e mail', 'raw', ['x']).fix).toBe('--redact "e mail"=hash');
  });
});
