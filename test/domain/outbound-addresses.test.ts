import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { refusedAddress, webhookUrlProblem } from '../../src/domain/outbound-addresses.js';

describe('refusedAddress', () => {
  it('refuses private, loopback, link-local, shared, multicast and reserved IPv4 addresses', () => {
    for (const address of ['10.1.2.3', '127.0.0.1', '127.8.8.8', '169.254.169.254', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255']) {
      assert.match(refusedAddress(address) ?? '', /private, loopback or link-local/, address);
    }
  });

  it('refuses their IPv6 counterparts, and IPv4 addresses written as IPv6', () => {
    for (const address of ['::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '64:ff9b::a00:1']) {
      assert.notEqual(refusedAddress(address), null, address);
    }
  });

  it('accepts public unicast addresses', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) assert.equal(refusedAddress(address), null, address);
  });
});

describe('webhookUrlProblem', () => {
  it('accepts an https or http URL with a host name', () => {
    assert.equal(webhookUrlProblem('https://hooks.example.com/flowgate?team=data', false), null);
    assert.equal(webhookUrlProblem('http://receiver.internal.example:8080/x', false), null, 'a name is checked when it is resolved, at delivery');
  });

  it('refuses private, loopback and link-local addresses written in the URL, and localhost, unless private networks are allowed', () => {
    for (const url of [
      'http://127.0.0.1:4000/',
      'http://[::1]/',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.5/',
      'http://localhost:8080/',
      'http://LOCALHOST./',
      'http://api.localhost/',
    ]) {
      assert.match(webhookUrlProblem(url, false) ?? '', /private|localhost/, url);
      assert.equal(webhookUrlProblem(url, true), null, `${url} with WEBHOOK_ALLOW_PRIVATE_NETWORKS`);
    }
  });

  it('refuses other schemes, credentials in the URL, relative and overlong URLs', () => {
    assert.match(webhookUrlProblem('ftp://example.com/', true) ?? '', /http or https/);
    assert.match(webhookUrlProblem('https://user:pass@example.com/', true) ?? '', /user name or password/);
    assert.match(webhookUrlProblem('/hooks', true) ?? '', /absolute/);
    assert.match(webhookUrlProblem(`https://example.com/${'a'.repeat(2100)}`, true) ?? '', /at most 2048/);
  });
});
