/** The Host and Origin rules (src/host-origin.ts) and their two variables, without a server. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';
import { isTrustedHost, originRefusal, parseHostHeader, type HostOriginPolicy } from '../../src/host-origin';

const NONE: HostOriginPolicy = { allowedHosts: [], allowedOrigins: [] };
const trusted = (host: string | undefined, policy = NONE) => isTrustedHost(parseHostHeader(host), policy);
const passes = (origin: string | undefined, host: string, policy = NONE) => originRefusal(origin, parseHostHeader(host), policy) === null;

describe('Host', () => {
  it('trusts loopback names and addresses, with or without a port, in any case and with a trailing dot', () => {
    for (const host of [
      'localhost',
      'localhost:4000',
      'LOCALHOST:4000',
      'localhost.:4000',
      '127.0.0.1',
      '127.0.0.1:4000',
      '127.0.0.1.:4000',
      '127.8.9.10:1',
      '127.1:4000',
      '[::1]',
      '[::1]:4000',
      '[0:0:0:0:0:0:0:1]:4000',
      '[::ffff:127.0.0.1]:4000',
    ]) {
      expect(trusted(host), host).toBe(true);
    }
  });

  it('refuses other names, other addresses and malformed headers', () => {
    for (const host of [
      'attacker.example:4000',
      'localhost.attacker.example',
      'attacker.example.localhost', // not on the list: only the name localhost itself
      '127.0.0.1.attacker.example',
      '128.0.0.1:4000',
      '0.0.0.0:4000',
      '192.168.1.5',
      '[::2]:4000',
      '[::]:4000',
      'user@127.0.0.1:4000',
      '127.0.0.1:4000/path',
      '127.0.0.1 :4000',
      '127.0.0.1:99999',
      'localhost..',
      '',
      undefined,
    ]) {
      expect(trusted(host), String(host)).toBe(false);
    }
  });

  it('trusts the allow-listed names, compared in the same normal form', () => {
    const policy = loadConfig({ NEPHRON_ALLOWED_HOSTS: 'Nephron.Lab, [FD00::1] ,box.' });
    expect(policy.allowedHosts).toEqual(['nephron.lab', '[fd00::1]', 'box']);
    for (const host of ['nephron.lab', 'NEPHRON.LAB.:8443', '[fd00:0::1]:4000', 'box:4000']) expect(trusted(host, policy), host).toBe(true);
    for (const host of ['other.lab', 'nephron.lab.attacker.example']) expect(trusted(host, policy), host).toBe(false);
  });
});

describe('Origin', () => {
  it('passes requests without one (the CLI, curl, Node clients)', () => {
    expect(passes(undefined, '127.0.0.1:4000')).toBe(true);
  });

  it("passes the server's own origin: the name and port the Host carries, whatever the scheme", () => {
    expect(passes('http://127.0.0.1:4000', '127.0.0.1:4000')).toBe(true);
    expect(passes('http://localhost:4000', 'localhost:4000')).toBe(true);
    expect(passes('http://[::1]:4000', '[::1]:4000')).toBe(true);
    expect(passes('http://localhost.:4000', 'localhost.:4000')).toBe(true);
    expect(passes('HTTP://LOCALHOST:4000', 'localhost:4000')).toBe(true);
    // default ports: the browser leaves them out of both
    expect(passes('http://lab.example.org', 'lab.example.org')).toBe(true);
    expect(passes('http://lab.example.org', 'lab.example.org:80')).toBe(true);
    // behind a TLS proxy that keeps the Host
    expect(passes('https://lab.example.org', 'lab.example.org')).toBe(true);
  });

  it('refuses any other origin, including another port or name of the same machine', () => {
    expect(passes('http://evil.example', '127.0.0.1:4000')).toBe(false);
    expect(passes('http://127.0.0.1:5173', '127.0.0.1:4000')).toBe(false); // another local dev server's page
    expect(passes('http://localhost:4000', '127.0.0.1:4000')).toBe(false); // another origin to the browser too
    expect(passes('http://lab.example.org:8080', 'lab.example.org')).toBe(false);
    expect(passes('https://lab.example.org', 'lab.example.org:80')).toBe(false);
    expect(passes('http://127.0.0.1:4000', 'garbage host')).toBe(false); // no Host to name an own origin
  });

  it('never passes Origin: null or something that is not an http(s) origin', () => {
    for (const origin of ['null', 'file://', 'chrome-extension://abcdef', 'http://127.0.0.1:4000/path', 'http://a, http://b', 'nonsense', '']) {
      expect(originRefusal(origin, parseHostHeader('127.0.0.1:4000'), NONE), origin).not.toBeNull();
    }
    expect(originRefusal('null', parseHostHeader('127.0.0.1:4000'), NONE)).toMatch(/never allowed/);
  });

  it('passes the allow-listed origins exactly: scheme, name and port', () => {
    const policy = loadConfig({ NEPHRON_ALLOWED_ORIGINS: 'http://Dash.Lab:8080, https://lab.example.org:443/' });
    expect(policy.allowedOrigins).toEqual(['http://dash.lab:8080', 'https://lab.example.org']);
    expect(passes('http://dash.lab:8080', '127.0.0.1:4000', policy)).toBe(true);
    expect(passes('https://lab.example.org', '127.0.0.1:4000', policy)).toBe(true);
    for (const origin of ['http://dash.lab:8081', 'https://dash.lab:8080', 'http://dash.lab', 'http://lab.example.org']) {
      expect(passes(origin, '127.0.0.1:4000', policy), origin).toBe(false);
    }
  });
});

describe('NEPHRON_ALLOWED_HOSTS and NEPHRON_ALLOWED_ORIGINS', () => {
  it('are empty by default', () => {
    expect(loadConfig({})).toMatchObject({ allowedHosts: [], allowedOrigins: [] });
  });

  it('name every bad entry', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({
        NEPHRON_ALLOWED_HOSTS: 'ok.lab, lab:4000, http://lab, a b',
        NEPHRON_ALLOWED_ORIGINS: 'null, *, lab.example.org, ftp://lab, http://lab/app, http://ok.lab',
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toHaveLength(8);
    expect(error!.problems.filter((p) => p.startsWith('NEPHRON_ALLOWED_HOSTS'))).toHaveLength(3);
    expect(error!.problems.find((p) => p.includes('"null"'))).toMatch(/sandboxed frames/);
    expect(error!.problems.find((p) => p.includes('"*"'))).toMatch(/every site cannot be allowed/);
  });
});
